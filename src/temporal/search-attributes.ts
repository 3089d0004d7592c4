/**
 * Registers our custom search attributes on a Temporal namespace. Idempotent:
 * attributes that exist with the right type are left alone, so it runs at every
 * start against the embedded dev server or an external cluster alike.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { registrationSearchAttributes } from '../../workflows/registration/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const typeToIndexed: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = registrationSearchAttributes.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, typeToIndexed[k.type]])),
    });
  } catch (e) {
    // A concurrent starter may have added them first.
    if (!/already exists/i.test(String((e as Error).message))) throw e;
  }
  return missing.map((k) => k.name);
}
