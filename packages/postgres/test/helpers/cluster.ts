// A throwaway PostgreSQL cluster from the system's binaries, for the tests and the bench: initdb into a temporary
// directory, a free port on loopback and a private socket directory, removed afterwards. As root the server runs
// as the `postgres` user (initdb and postgres refuse to run as root), in a directory that user owns. A watchdog
// (cluster-watchdog.mjs) stops and removes the cluster when the process that started it dies without doing so.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export interface Cluster {
  readonly bin: string;
  readonly dir: string;
  readonly data: string;
  readonly port: number;
  /** superuser URL of the `postgres` database */
  readonly url: string;
}

const CANDIDATES = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/local/pgsql/bin"];

/** The directory holding initdb and pg_ctl: $XP_PG_BIN, a Debian/Ubuntu install, or pg_config's, or null. */
export function findPostgresBin(): string | null {
  const env = process.env["XP_PG_BIN"];
  const dirs = env !== undefined && env !== "" ? [env] : [...CANDIDATES];
  if (env === undefined || env === "") {
    const r = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
    if (r.status === 0) dirs.push(r.stdout.trim());
  }
  return dirs.find((d) => fs.existsSync(path.join(d, "initdb")) && fs.existsSync(path.join(d, "pg_ctl"))) ?? null;
}

function asServerUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** Runs a server binary, as `postgres` when we are root. */
export function runServerTool(bin: string, tool: string, args: readonly string[]): string {
  const exe = path.join(bin, tool);
  const user = asServerUser();
  const [cmd, argv] = user === null ? [exe, args] : ["runuser", ["-u", "postgres", "--", exe, ...args]];
  const r = spawnSync(cmd, argv as string[], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the watchdog of the cluster in `dir`: a detached process (its own session, so a signal to this process's
 * group does not reach it) that stops the server and removes `dir` once process `parent` is gone.
 */
export function startWatchdog(parent: number, bin: string, data: string, dir: string): number {
  const script = fileURLToPath(new URL("./cluster-watchdog.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, String(parent), bin, data, dir, asServerUser() === null ? "0" : "1"], { detached: true, stdio: "ignore" });
  child.unref();
  return child.pid!;
}

export async function startCluster(bin: string): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xp-pg-"));
  startWatchdog(process.pid, bin, path.join(dir, "data"), dir);
  const user = asServerUser();
  if (user !== null) fs.chownSync(dir, user.uid, user.gid);
  fs.chmodSync(dir, 0o700);
  const data = path.join(dir, "data");
  runServerTool(bin, "initdb", ["-D", data, "-A", "trust", "-U", "xp", "-E", "UTF8", "--no-sync", "--no-instructions"]);
  const port = await freePort();
  const cluster: Cluster = { bin, dir, data, port, url: `postgresql://xp@127.0.0.1:${port}/postgres` };
  startServer(cluster);
  return cluster;
}

/** Starts (or restarts) the cluster's server and waits until it accepts connections. */
export function startServer(c: Cluster): void {
  const opts = `-p ${c.port} -k ${c.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  runServerTool(c.bin, "pg_ctl", ["start", "-D", c.data, "-o", opts, "-l", path.join(c.dir, "server.log"), "-w", "-t", "60"]);
}

/** Stops the server at once (immediate: like a crash for the clients). */
export function stopServer(c: Cluster): void {
  runServerTool(c.bin, "pg_ctl", ["stop", "-D", c.data, "-m", "immediate", "-w", "-t", "60"]);
}

export function destroyCluster(c: Cluster): void {
  try {
    stopServer(c);
  } catch {
    // already stopped
  }
  fs.rmSync(c.dir, { recursive: true, force: true });
}

/** The server's processes (the postmaster and its children), by pid: for freezing it with SIGSTOP. */
export function serverPids(c: Cluster): number[] {
  const postmaster = Number(fs.readFileSync(path.join(c.data, "postmaster.pid"), "utf8").split("\n")[0]);
  const children = spawnSync("ps", ["-o", "pid=", "--ppid", String(postmaster)], { encoding: "utf8" }).stdout.split(/\s+/).filter((x) => x !== "").map(Number);
  return [...children, postmaster];
}
