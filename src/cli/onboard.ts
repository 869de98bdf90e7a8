// `flink-ha-webhook onboard -n NS`: the ServiceAccount, Role and RoleBinding a namespace needs before Flink with
// Kubernetes HA runs there (the verbs of src/flink/ha-rbac.ts, the ones the webhook and the audit check), as YAML
// for `kubectl apply -f -` or a GitOps repo. It prints; it never writes to a cluster.
import type { Command } from 'commander';
import yaml from 'js-yaml';
import type { Register } from './main.ts';
import type { CliIo } from './io.ts';
import { loadConfig } from '../config/load.ts';
import { onboardingObjects } from '../flink/ha-rbac.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const registerOnboard: Register = (program: Command, io: CliIo, done: (code: number) => void): void => {
  program
    .command('onboard')
    .description("print a namespace's HA ServiceAccount, its Role (configmaps: the verbs Flink's HA uses) and RoleBinding, for kubectl apply -f -")
    .requiredOption('-n, --namespace <ns>', 'the Flink namespace')
    .option('--service-account <name>', 'the ServiceAccount Flink runs as (default: haServiceAccount of the config)')
    .option('--config <file>', 'webhook config file (YAML)')
    .action((flags: { namespace: string; serviceAccount?: string; config?: string }) => {
      const loaded = loadConfig({ file: flags.config, env: io.env });
      if (!loaded.ok) {
        for (const e of loaded.errors) io.stderr(`onboard: ${e}\n`);
        done(2);
        return;
      }
      const sa = flags.serviceAccount ?? loaded.config.haServiceAccount;
      for (const [what, value] of [['namespace', flags.namespace], ['ServiceAccount', sa]] as const) {
        if (!DNS_LABEL.test(value) || value.length > 63) {
          io.stderr(`onboard: '${value}' is not a valid ${what} name (lower-case letters, digits and '-', at most 63)\n`);
          done(2);
          return;
        }
      }
      if (loaded.config.excludedNamespaces.includes(flags.namespace)) {
        io.stderr(`onboard: note: namespace ${flags.namespace} is in excludedNamespaces: the webhook neither mutates nor guards it\n`);
      }
      const docs = onboardingObjects(flags.namespace, sa).map((o) => yaml.dump(o, { lineWidth: -1 }));
      io.stdout(`# Flink with Kubernetes HA in namespace ${flags.namespace}: run its JobManagers and TaskManagers as ServiceAccount ${sa}.\n# Apply with: flink-ha-webhook onboard -n ${flags.namespace} | kubectl apply -f -\n---\n${docs.join('---\n')}`);
      done(0);
    });
};
