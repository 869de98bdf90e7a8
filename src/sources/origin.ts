// Where an object a face judges came from, and how every face and report points at it: `file:line`, or
// `file:line items[N]` for an item of a List document.

export function whereOf(at: { file: string; line?: number; item?: number }): string {
  return `${at.file}${at.line ? `:${at.line}` : ''}${at.item !== undefined ? ` items[${at.item}]` : ''}`;
}
