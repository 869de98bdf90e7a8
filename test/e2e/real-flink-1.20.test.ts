// Real Flink 1.20.0 (JobManager + TaskManager JVMs from Maven Central jars) with Kubernetes HA on the e2e API
// server, the webhook registered: see test/e2e/support/real-flink-core.ts for the scenario, docs/real-flink.md.
import { realFlinkCoreSuite } from './support/real-flink-core.ts';

realFlinkCoreSuite('1.20.0');
