import { open } from "../store/memory.ts";

export const enforce = (): string => open();
