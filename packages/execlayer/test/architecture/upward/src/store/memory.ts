import { enforce } from "../runtime/enforcer.ts";

export const open = (): string => typeof enforce;
