// `ai` 7 (needs Node 22: `npm test` runs this file on Node 22 from the npm registry): both the tools' own
// `needsApproval`, which 7 still honours, and 7's `generateText({ toolApproval })`.
import { generateText, jsonSchema, stepCountIs, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { aiSdkScenarios, type AiModule } from "./scenarios.ts";

const ai = { generateText, jsonSchema, stepCountIs, tool, MockLanguageModelV3 } as unknown as AiModule;
aiSdkScenarios("ai 7 with the tools' needsApproval", ai, false);
aiSdkScenarios("ai 7 with toolApproval", ai, true);
