// LeaderService on Postgres with three real replica processes (issue 15): see
// spec/e2e/support/failover-suite.ts for the scenarios.
import fixture from './fixtures/engines/postgres.js';
import { describeFailover } from './support/failover-suite.js';
import { startPostgres } from './support/postgres.js';

describeFailover({ fixture, start: startPostgres, ttlMs: 3000 });
