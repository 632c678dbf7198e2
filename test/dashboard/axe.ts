/// <reference lib="dom" />
// The function passed to page.evaluate() runs in the browser: DOM types are needed to check it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, ImpactValue, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';

/** axe-core's browser bundle, injected into the page under test (it is not part of the dashboard). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The impacts that fail a page: a user of assistive technology is blocked or seriously hindered. */
export const FAILING_IMPACTS: readonly ImpactValue[] = ['serious', 'critical'];

export interface AxeFinding {
  rule: string;
  impact: ImpactValue | null | undefined;
  help: string;
  /** CSS selectors of the first offending elements, with axe's explanation for the first one. */
  nodes: string[];
  summary: string | undefined;
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules and best practices) on the page as it is now and returns the
 * serious and critical violations. The bundle is evaluated through the DevTools protocol rather than a
 * <script> tag, so the dashboard's Content-Security-Policy stays as served; a single-page navigation
 * keeps the page's window, so it is injected once per document.
 */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(context: Document, options: RunOptions): Promise<AxeResults> } }
    ).axe;
    const results = await axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
      summary: v.nodes[0]?.failureSummary,
    }));
  });
  return violations.filter((v) => v.impact != null && FAILING_IMPACTS.includes(v.impact));
}
