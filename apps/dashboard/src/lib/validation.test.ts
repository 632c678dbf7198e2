import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SERVER_NAME_PATTERN,
  propertyProblem,
  serverNameProblem,
  slugify,
  toPropertyValue,
} from './validation.js';

describe('server names', () => {
  it('uses the same pattern as the API (from the OpenAPI document)', () => {
    const doc = JSON.parse(
      readFileSync(path.resolve(import.meta.dirname, '../../../../packages/api-client/openapi.json'), 'utf8'),
    ) as {
      paths: Record<
        string,
        {
          post?: {
            requestBody: {
              content: Record<string, { schema: { properties: { name: { pattern: string } } } }>;
            };
          };
        }
      >;
    };
    const body = doc.paths['/api/v1/servers']!.post!.requestBody.content['application/json']!.schema;
    expect(body.properties.name.pattern).toBe(SERVER_NAME_PATTERN);
  });

  it.each([
    ['', 'Enter a name.'],
    ['ab', 'At least 3 characters.'],
    ['a'.repeat(41), 'At most 40 characters.'],
    ['My-Server', 'Use lowercase letters only.'],
    ['my server', 'Only a–z, 0–9 and "-" are allowed.'],
    ['-survival', 'Cannot start or end with "-".'],
    ['survival-', 'Cannot start or end with "-".'],
  ])('%j → %s', (name, problem) => {
    expect(serverNameProblem(name)).toBe(problem);
  });

  it('accepts good names and refuses taken ones', () => {
    expect(serverNameProblem('survival-1')).toBeUndefined();
    expect(serverNameProblem('abc')).toBeUndefined();
    expect(serverNameProblem('survival-1', new Set(['survival-1']))).toBe(
      'You already have a server with this name.',
    );
    expect(slugify('  My Survival World! ')).toBe('my-survival-world');
  });
});

describe('server.properties values', () => {
  const integer = {
    key: 'view-distance',
    type: 'integer',
    default: 10,
    description: '',
    applies: 'on_restart' as const,
    min: 2,
    max: 32,
  };
  const text = {
    key: 'motd',
    type: 'string',
    default: '',
    description: '',
    applies: 'on_restart' as const,
    max_length: 10,
  };
  const choice = {
    key: 'difficulty',
    type: 'enum',
    default: 'easy',
    description: '',
    applies: 'live' as const,
    values: ['easy', 'hard'],
  };

  it('checks types, ranges and lengths like the API', () => {
    expect(propertyProblem(integer, '12')).toBeUndefined();
    expect(propertyProblem(integer, '1')).toBe('At least 2.');
    expect(propertyProblem(integer, '33')).toBe('At most 32.');
    expect(propertyProblem(integer, '3.5')).toBe('Must be a whole number.');
    expect(propertyProblem(text, 'a'.repeat(11))).toBe('At most 10 characters.');
    // A newline in a value would start a new key in server.properties: refused before it is sent.
    expect(propertyProblem(text, 'a\nb')).toBe('Must be on one line.');
    expect(propertyProblem(choice, 'medium')).toBe('One of easy, hard.');
  });

  it('sends numbers as numbers and booleans as booleans', () => {
    expect(toPropertyValue(integer, ' 12 ')).toBe(12);
    expect(toPropertyValue({ ...integer, type: 'boolean' }, true)).toBe(true);
    expect(toPropertyValue(text, 'hi')).toBe('hi');
  });
});
