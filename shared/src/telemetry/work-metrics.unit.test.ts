import { describe, expect, it } from 'vitest';
import { createWorkMetrics } from './work-metrics.ts';

describe('work metrics', () => {
  it('renders Prometheus text: series shown at 0 before any work, counts per label, escaped label values', () => {
    const m = createWorkMetrics();
    m.ingestionDocuments.inc({ outcome: 'processed' }, 0);
    m.projectorEventsApplied.inc({ projector: 'vectors@v3' }, 7);
    m.projectorEventsApplied.inc({ projector: 'vectors@v3' }, 5);
    m.projectorPages.inc({ projector: 'we"ird\\name\n' });
    const text = m.registry.render();
    expect(text).toContain('# TYPE mandant_projector_events_applied_total counter');
    expect(text).toContain('mandant_projector_events_applied_total{projector="vectors@v3"} 12');
    expect(text).toContain('mandant_ingestion_documents_total{outcome="processed"} 0');
    expect(text).toContain('mandant_projector_pages_total{projector="we\\"ird\\\\name\\n"} 1');
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text.endsWith('\n')).toBe(true);
    expect(m.projectorEventsApplied.get({ projector: 'vectors@v3' })).toBe(12);
    expect(m.projectorEventsApplied.get({ projector: 'text@v1' })).toBe(0);
  });

  it('keeps the counts of two registries apart', () => {
    const a = createWorkMetrics();
    const b = createWorkMetrics();
    a.ingestionDocuments.inc({ outcome: 'failed' });
    expect(b.ingestionDocuments.get({ outcome: 'failed' })).toBe(0);
  });
});
