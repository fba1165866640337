// LeaderService on Redis with three real replica processes (issue 15): see
// spec/e2e/support/failover-suite.ts for the scenarios.
import fixture from './fixtures/engines/redis.js';
import { describeFailover } from './support/failover-suite.js';
import { startRedis } from './support/redis.js';

describeFailover({ fixture, start: startRedis, ttlMs: 3000 });
