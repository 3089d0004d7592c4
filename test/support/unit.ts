// Loaded by the unit run (.mocharc.unit.cjs) in every mocha process: a test in it that asks for PostgreSQL or
// Temporal fails with this message instead of quietly starting the server and slowing the loop.
import { refuseServers } from '../kit/lifetime';

refuseServers('npm run test:unit starts no servers: take this test file out of the unit list in test/speeds.cjs');
