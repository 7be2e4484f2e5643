// `ai` 6 (the installed `ai-v6` alias of ai@6): the tools' `needsApproval`, tool-approval-request /
// tool-approval-response, on this machine's Node (ai 6 supports Node 18+).
import { generateText, jsonSchema, stepCountIs, tool } from "ai-v6";
import { MockLanguageModelV3 } from "ai-v6/test";
import { aiSdkScenarios, type AiModule } from "./scenarios.ts";

aiSdkScenarios("ai 6 with needsApproval", { generateText, jsonSchema, stepCountIs, tool, MockLanguageModelV3 } as unknown as AiModule, false);
