/**
 * Every fixed shape's SQL text (`preparedQuery`, prepared-query.ts), numbered in the order
 * first compiled. Bounded by the code (one per `preparedQuery` and dialect), so a driver may
 * keep each one prepared on each of its connections (postgres-batch.ts) without an eviction
 * policy. A module of its own: the drivers read it, and prepared-query.ts depends on the
 * database's types.
 */
const fixedShapes = new Map<string, number>();

/** Records a fixed shape's SQL text (once). */
export function addFixedShape(sql: string): void {
  if (!fixedShapes.has(sql)) fixedShapes.set(sql, fixedShapes.size + 1);
}

/** The number of a fixed shape's SQL text, or undefined for any other statement. */
export function fixedShapeNumber(sql: string): number | undefined {
  return fixedShapes.get(sql);
}
