// Port: new binding ids (unique, URL-safe, sortable by creation, valid Step Functions execution names).

export interface IdGenerator {
  bindingId(at: Date): string;
}
