/**
 * Rows of `search`: docker's searchContext fields (docker 28 has no AUTOMATED column any more).
 */
import { ellipsis, type ListFormat, type Row } from './formatter.js';
import { JSON_FIELDS } from './template.js';

/** One result of GET /images/search. */
export interface SearchResult {
  name: string;
  description?: string;
  star_count?: number;
  is_official?: boolean;
  is_automated?: boolean;
}

export const SEARCH_HEADERS: Record<string, string> = {
  Name: 'NAME',
  Description: 'DESCRIPTION',
  StarCount: 'STARS',
  IsOfficial: 'OFFICIAL',
};

export function searchFormat(format: string | undefined): ListFormat {
  return {
    format,
    defaultFormat: 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}',
    headers: SEARCH_HEADERS,
    typeName: '*registry.searchContext',
  };
}

export function searchRows(results: SearchResult[], trunc: boolean): Row[] {
  return results.map((result) => {
    const description = (result.description ?? '').replace(/[\r\n]/g, ' ');
    return {
      Name: () => result.name,
      Description: () => (trunc ? ellipsis(description, 45) : description),
      StarCount: () => String(result.star_count ?? 0),
      IsOfficial: () => (result.is_official ? '[OK]' : ''),
      [JSON_FIELDS]: () => ({ IsOfficial: String(result.is_official ?? false) }),
    };
  });
}
