// The AdmissionReview v1 wire format (k8s.io/api/admission/v1), written once. The API server sends a review with
// `request` set and expects the same review back with only `response` set; field docs follow the Kubernetes API.
import type { KubeObject } from '../kube/objects.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

/** GroupVersionKind of the object under review. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** GroupVersionResource of the object under review. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** authentication.k8s.io/v1 UserInfo of the requester. */
export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AdmissionRequest<T = KubeObject> {
  /** Identifies this admission call; the response must echo it. Unique per call, stable across reinvocations of the same request. */
  uid: string;
  /** The fully-qualified type of the object being submitted (e.g. v1.Pod or autoscaling.v1.Scale). */
  kind: GroupVersionKind;
  /** The fully-qualified resource being requested (e.g. v1.pods). */
  resource: GroupVersionResource;
  /** The subresource being requested, if any (e.g. "status" or "scale"). */
  subResource?: string;
  /** The kind of the object as originally requested, when the API server converted it to a version this webhook registered for. */
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  /** Name of the object as presented in the request. On CREATE it may be empty (generateName). */
  name?: string;
  /** Namespace associated with the request (if any). */
  namespace?: string;
  /** The operation being performed: CREATE, UPDATE, DELETE or CONNECT. */
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  /** Information about the requesting user. */
  userInfo: UserInfo;
  /** The object from the incoming request (null on DELETE). */
  object?: T | null;
  /** The existing object (UPDATE and DELETE only). */
  oldObject?: T | null;
  /** True when the request will not be persisted: the webhook must then have no side effects. */
  dryRun?: boolean;
  /** The operation options (e.g. meta.k8s.io/v1 CreateOptions, DeleteOptions). */
  options?: Record<string, unknown> | null;
}

/** meta/v1 Status, the shape of a denial's reason. */
export interface Status {
  /** Suggested HTTP return code for the API server's client (403 by default on a denial). */
  code?: number;
  /** A human-readable description of why the request was denied: it says what to do. */
  message?: string;
  /** A machine-readable reason, e.g. "Forbidden". */
  reason?: string;
}

export interface AdmissionResponse {
  /** The `request.uid` this response answers. */
  uid: string;
  /** Whether the request is admitted. */
  allowed: boolean;
  /** Why it was not admitted (ignored when allowed). */
  status?: Status;
  /** Base64 of the patch body; only JSONPatch is supported by the API server. */
  patch?: string;
  patchType?: 'JSONPatch';
  /** Unstructured key/value pairs recorded in the audit log, each key prefixed by the webhook's name by the API server. */
  auditAnnotations?: Record<string, string>;
  /** Warnings returned to the requesting client (kubectl prints them); keep each under 120 characters. */
  warnings?: string[];
}

export interface AdmissionReview<T = KubeObject> {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  request?: AdmissionRequest<T>;
  response?: AdmissionResponse;
}
