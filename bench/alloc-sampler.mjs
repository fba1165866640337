// Preloaded by `bench/profile.mjs --alloc`: samples every allocation of the process, including the
// objects already collected (what the built-in --heap-prof leaves out), and writes the profile to
// $RXMODE_ALLOC_PROFILE when the process exits.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) throw error;
    writeFileSync(process.env.RXMODE_ALLOC_PROFILE, JSON.stringify(result.profile));
  });
});
