// LeaderService on Etcd with three real replica processes (issue 15): see
// spec/e2e/support/failover-suite.ts for the scenarios.
import fixture from './fixtures/engines/etcd.js';
import { describeFailover } from './support/failover-suite.js';
import { startEtcd } from './support/etcd.js';

describeFailover({ fixture, start: startEtcd, ttlMs: 3000 });
