// Who may sign: the approver groups a compiled policy declares, with decoded public keys. The compiler builds them,
// the runtime checks signatures against them.
export interface ApproverKey {
  /** member name in the group */
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly keyId: string;
}

/** group name -> members */
export type ApproverGroups = ReadonlyMap<string, readonly ApproverKey[]>;
