// The API reports (etc/*.api.md) of the three exports-map entries, from the built dist/*.d.ts.
// `node scripts/api-report.mjs --local` rewrites the reports; without --local it fails when one differs.
// API Extractor takes one entry point per config, so there is one config per entry; one shared compiler state
// (additionalEntryPoints) analyzes the .d.ts once for all three instead of three times.
import { existsSync } from "node:fs";
import path from "node:path";
import { CompilerState, Extractor, ExtractorConfig } from "@microsoft/api-extractor";

const CONFIGS = ["api-extractor.json", "api-extractor.receipts.json", "api-extractor.testing.json"];
const localBuild = process.argv.includes("--local");

const pkg = new URL("../", import.meta.url);
const configs = CONFIGS.map((c) => ExtractorConfig.loadFileAndPrepare(new URL(c, pkg).pathname));
for (const c of configs) {
  if (!existsSync(c.mainEntryPointFilePath)) {
    console.error(`api-report: ${c.mainEntryPointFilePath} is missing; run \`npm run build\` first`);
    process.exit(2);
  }
}
const compilerState = CompilerState.create(configs[0], { additionalEntryPoints: configs.map((c) => c.mainEntryPointFilePath) });

let failed = 0;
for (const config of configs) {
  const result = Extractor.invoke(config, { localBuild, compilerState, showVerboseMessages: false });
  if (!result.succeeded) {
    failed++;
    const report = path.relative(process.cwd(), config.reportFilePath);
    const why = result.apiReportChanged
      ? `the public API changed (see: diff ${report} ${path.relative(process.cwd(), config.reportTempFilePath)}); if that is intended, run \`npm run api:update\` and commit etc/`
      : `${result.errorCount} errors, ${result.warningCount} warnings`;
    console.error(`api-report: ${report}: ${why}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
