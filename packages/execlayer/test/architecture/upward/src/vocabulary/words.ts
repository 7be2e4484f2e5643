// Fixture: a bottom layer reaching up into the runtime (forbidden), and a cycle between runtime and store.
import { enforce } from "../runtime/enforcer.ts";

export const word = (): string => String(enforce);
