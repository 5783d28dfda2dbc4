/**
 * Connected components of the graph the pairs form (union-find): duplicate groups in assemble, the
 * lesions that share a group key in split. Each group sorted, groups ordered by their first id. Only
 * ids that occur in some pair appear. Note that grouping is transitive: A~B and B~C puts A and C
 * together even if A and C are far apart.
 */
export function groupDuplicates(pairs: readonly { a: string; b: string }[]): string[][] {
  const index = new Map<string, number>();
  const ids: string[] = [];
  const parent: number[] = [];
  const size: number[] = [];
  const node = (id: string): number => {
    let k = index.get(id);
    if (k === undefined) {
      k = ids.length;
      index.set(id, k);
      ids.push(id);
      parent.push(k);
      size.push(1);
    }
    return k;
  };
  const find = (k: number): number => {
    let root = k;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[k] !== root) {
      const next = parent[k]!;
      parent[k] = root;
      k = next;
    }
    return root;
  };
  for (const { a, b } of pairs) {
    let x = find(node(a));
    let y = find(node(b));
    if (x === y) continue;
    if (size[x]! < size[y]!) [x, y] = [y, x];
    parent[y] = x;
    size[x]! += size[y]!;
  }
  const groups = new Map<number, string[]>();
  for (let k = 0; k < ids.length; k++) {
    const root = find(k);
    let group = groups.get(root);
    if (!group) groups.set(root, (group = []));
    group.push(ids[k]!);
  }
  const byCodeUnits = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...groups.values()].map((g) => g.sort(byCodeUnits)).sort((g, h) => byCodeUnits(g[0]!, h[0]!));
}
