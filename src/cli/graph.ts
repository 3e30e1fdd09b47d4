/**
 * A plan as a Mermaid flowchart: one node per step (`id · kind`), an edge per dependency, branch
 * edges labelled `true` / `false`, and, for an execution, each step styled by its status.
 */
import type { ExecutionPlan } from '../model';

const STATUS_STYLES: Record<string, string> = {
  completed: 'fill:#d1f2d9,stroke:#1e7b34',
  failed: 'fill:#f8d2d2,stroke:#b42318',
  running: 'fill:#d6e4ff,stroke:#1d4ed8',
  retrying: 'fill:#fde9c8,stroke:#b45309',
  skipped: 'fill:#eeeeee,stroke:#888888,color:#666666',
  cancelled: 'fill:#eeeeee,stroke:#b42318,color:#666666',
  terminated: 'fill:#eeeeee,stroke:#b42318,color:#666666',
  pending: 'fill:#ffffff,stroke:#888888',
};

/** Mermaid labels are quoted; a quote inside one is written as an HTML entity. */
const label = (text: string) => `"${text.replace(/"/g, '#quot;')}"`;

export function toMermaid(plan: ExecutionPlan, statuses?: Readonly<Record<string, string>>): string {
  const key = new Map(plan.nodes.map((node, i) => [node.id, `s${i}`]));
  const lines = ['flowchart TD'];
  for (const node of plan.nodes) {
    const kind = node.kind === 'action' ? node.action : node.kind;
    const status = statuses?.[node.id];
    lines.push(`  ${key.get(node.id)}[${label(`${node.id} · ${kind}${status ? ` (${status})` : ''}`)}]`);
  }
  for (const node of plan.nodes) {
    const gated = new Map(node.gates.map((gate) => [gate.nodeId, gate.when]));
    for (const dep of new Set([...node.dependsOn, ...gated.keys()])) {
      const when = gated.get(dep);
      const arrow = when === undefined ? '-->' : `-- ${when} -->`;
      lines.push(`  ${key.get(dep)} ${arrow} ${key.get(node.id)}`);
    }
  }
  if (statuses) {
    const byStatus = new Map<string, string[]>();
    for (const node of plan.nodes) {
      const status = statuses[node.id] ?? 'pending';
      byStatus.set(status, [...(byStatus.get(status) ?? []), key.get(node.id)!]);
    }
    for (const [status, ids] of byStatus) {
      lines.push(`  classDef ${status} ${STATUS_STYLES[status] ?? STATUS_STYLES.pending}`);
      lines.push(`  class ${ids.join(',')} ${status}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
