// The least any stdio proxy process can do: the bytes from the client to the server and back, nothing parsed,
// nothing decided. The mcp bench runs it as the "relay" mode, the floor of what a process between the client and the
// server costs on this machine (its pipe hops and wake-ups), against which the proxy's own cost is read.
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["pipe", "pipe", "ignore"] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
process.stdin.on("end", () => child.stdin.end());
child.on("exit", (code) => process.exit(code ?? 0));
