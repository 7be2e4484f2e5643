// The throwaway cluster's watchdog (cluster.ts starts it, detached): when the process that started the cluster is
// gone without removing it (a test run killed, a bench interrupted), it stops the server at once and removes the
// directory, so a killed run leaves no PostgreSQL behind. It exits by itself when the directory is removed by the
// normal teardown. Plain JavaScript: it starts in a few milliseconds and needs nothing installed.
// argv: PARENT_PID PG_BIN_DIR DATA_DIR CLUSTER_DIR AS_POSTGRES(0|1)
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";

const [parentText, bin, data, dir, asPostgres] = process.argv.slice(2);
const parent = Number(parentText);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

const timer = setInterval(() => {
  if (!existsSync(dir)) {
    clearInterval(timer);
    return;
  }
  if (alive(parent)) return;
  clearInterval(timer);
  const pgCtl = path.join(bin, "pg_ctl");
  const args = ["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"];
  if (existsSync(path.join(data, "postmaster.pid"))) {
    if (asPostgres === "1") spawnSync("runuser", ["-u", "postgres", "--", pgCtl, ...args], { stdio: "ignore" });
    else spawnSync(pgCtl, args, { stdio: "ignore" });
  }
  rmSync(dir, { recursive: true, force: true });
}, 500);
