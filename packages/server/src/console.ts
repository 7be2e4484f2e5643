// The approval console's files (built by scripts/build-console.mjs into dist/console), served at /console. The
// page is static: it reads the API with the caller's token like any client, and the approver's private key never
// leaves it (signing happens in the browser). The Content-Security-Policy lets the page load only its own script
// and style and talk only to this service, so nothing injected into a parameter value can run or send a key out.
import { existsSync, readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { ServiceDiagnostics as D } from "execlayer";
import { problem, sendProblem } from "./problem.ts";

const FILES: Readonly<Record<string, string>> = {
  "index.html": "text/html; charset=utf-8",
  "console.js": "text/javascript; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
};

export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** dist/console beside this module (dist/console.js) or, run from src/, the package's dist/console. */
function consoleDir(): URL | null {
  for (const rel of ["./console/", "../dist/console/"]) {
    const dir = new URL(rel, import.meta.url);
    if (existsSync(new URL("index.html", dir))) return dir;
  }
  return null;
}

export function registerConsole(app: FastifyInstance): void {
  const dir = consoleDir();
  const files = new Map<string, Buffer>();
  if (dir !== null) for (const name of Object.keys(FILES)) files.set(name, readFileSync(new URL(name, dir)));
  const serve = (name: string) => async (request: import("fastify").FastifyRequest, reply: import("fastify").FastifyReply) => {
    const body = files.get(name);
    if (body === undefined) {
      return sendProblem(reply, problem(404, D.notFound.code, D.notFound.message("the console (not built: run `npm run build -w @execlayer/server`)")), request.id);
    }
    return reply
      .type(FILES[name]!)
      .header("content-security-policy", CONSOLE_CSP)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer")
      .header("cache-control", "no-store")
      .send(body);
  };
  app.get("/console", serve("index.html"));
  app.get("/console/", serve("index.html"));
  for (const name of Object.keys(FILES)) if (name !== "index.html") app.get(`/console/${name}`, serve(name));
}
