// A process that starts a throwaway cluster, prints it as one JSON line and waits to be killed (cluster.test.ts).
import { findPostgresBin, startCluster } from "./cluster.ts";

const cluster = await startCluster(findPostgresBin()!);
process.stdout.write(JSON.stringify(cluster) + "\n");
setInterval(() => undefined, 60_000);
