// A watch-backed cache of one kind of object (client-node's ListWatch, its public informer API), with what a
// caller needs to trust it: `synced()` is true only while the initial LIST is in and the watch is connected; an
// error, a dropped watch or a relist makes it false until the watch is back, so callers ask the API server then.
// Objects may be projected as they arrive (list and watch alike) to keep only what is read: memory stays bounded
// by the projection, not by the objects' size. Generic on purpose: any kind with a list function and a watch path.
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

export interface InformerOptions<T extends KubernetesObject> {
  /** A name for logs and metrics, e.g. 'serviceaccounts'. */
  name: string;
  /** The watch path, e.g. '/api/v1/serviceaccounts' (all namespaces). */
  path: string;
  /** The LIST the cache starts from (and relists with after a 410 Gone): items and metadata.resourceVersion. */
  list: () => Promise<{ items: unknown[]; metadata?: { resourceVersion?: string } }>;
  labelSelector?: string;
  /** What to keep of each object (list items and watch events); must keep metadata.name, namespace, resourceVersion. */
  project?: (obj: KubernetesObject) => T;
  /** Called after every change the cache takes in (add, update, delete, relist), with the object's namespace. */
  onChange?: (namespace: string) => void;
  /** Called when the watch fails (before the restart), for a log line; `attempt` counts the failures so far. */
  onError?: (name: string, err: unknown, attempt: number) => void;
  /** First restart delay after an error (doubles up to maxBackoffMs). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface Informer<T extends KubernetesObject> {
  readonly name: string;
  /** True while the cache holds the LIST and every event since, and the watch is connected. */
  synced(): boolean;
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
  /** Objects held (for the memory figures). */
  size(): number;
  /** Resolves once synced the first time (or rejects never: callers race it with a deadline). */
  whenSynced(): Promise<void>;
  /** Times the watch was lost (errors, relists), for metrics. */
  readonly restarts: number;
  start(): void;
  stop(): Promise<void>;
}

type WatchParams = Parameters<Watch['watch']>[1];

/** A Watch that projects each event's object and tells the informer when its stream is established or ends. */
class ProjectingWatch extends Watch {
  constructor(kc: KubeConfig, private readonly project: ((obj: KubernetesObject) => KubernetesObject) | undefined,
    private readonly connected: () => void, private readonly lost: () => void) {
    super(kc);
  }

  override async watch(path: string, queryParams: WatchParams, callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void, done: (err: unknown) => void): Promise<AbortController> {
    let ended = false;
    const project = this.project;
    const controller = await super.watch(path, { ...queryParams, allowWatchBookmarks: true }, (phase, obj: KubernetesObject, watchObj) => {
      // BOOKMARK and ERROR objects carry no name: passed on as they are (ListWatch reads their resourceVersion/code).
      callback(phase, project && (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') ? project(obj) : obj, watchObj);
    }, (err: unknown) => {
      ended = true;
      this.lost();
      done(err);
    });
    if (!ended) this.connected();
    return controller;
  }
}

export function startInformer<T extends KubernetesObject>(kc: KubeConfig, options: InformerOptions<T>): Informer<T> {
  let connected = false;
  let listed = false;
  let stopped = false;
  let restarts = 0;
  let backoff = options.backoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  let restartTimer: NodeJS.Timeout | undefined;
  let resolveSynced: () => void = () => undefined;
  const firstSync = new Promise<void>((resolve) => { resolveSynced = resolve; });
  const project = options.project as ((obj: KubernetesObject) => KubernetesObject) | undefined;

  const watch = new ProjectingWatch(kc, project, () => {
    connected = true;
    backoff = options.backoffMs ?? 500;
    if (listed) resolveSynced();
  }, () => {
    connected = false;
  });
  const listFn = async () => {
    listed = false;
    const list = await options.list();
    const items = (list.items ?? []) as KubernetesObject[];
    listed = true;
    return { ...list, items: project ? items.map(project) : items } as never;
  };
  const lw = new ListWatch<T>(options.path, watch, listFn, false, options.labelSelector);
  const changed = (obj: KubernetesObject) => options.onChange?.(obj.metadata?.namespace ?? '');
  lw.on('add', changed);
  lw.on('update', changed);
  lw.on('delete', changed);
  // 'connect' is each (re)connection's start: until the watch is back, events may be missing.
  lw.on('connect', () => { connected = false; });
  // The cache stays a consistent snapshot at its resourceVersion: the restart resumes the watch from there (every
  // event since, or 410 Gone and a relist), and answers come from the API server until it is connected again.
  lw.on('error', (err: unknown) => {
    connected = false;
    restarts++;
    options.onError?.(options.name, err, restarts);
    scheduleRestart();
  });

  const scheduleRestart = () => {
    if (stopped || restartTimer) return;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      run();
    }, backoff);
    restartTimer.unref();
    backoff = Math.min(maxBackoff, backoff * 2);
  };
  // ListWatch.start() relists only when it has no resourceVersion (first start, 410 Gone); after other errors it
  // resumes the watch from the last one, which the API server answers with every event since (or 410).
  const run = () => {
    if (stopped) return;
    lw.start().catch((err: unknown) => {
      restarts++;
      options.onError?.(options.name, err, restarts);
      scheduleRestart();
    });
  };

  return {
    name: options.name,
    synced: () => connected && listed && !stopped,
    get: (namespace, name) => lw.get(name, namespace),
    list: (namespace) => lw.list(namespace) as T[],
    size: () => lw.list().length,
    whenSynced: () => firstSync,
    get restarts() { return restarts; },
    start: run,
    async stop() {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      await lw.stop();
    },
  };
}
