import { Fragment } from 'preact';
import { essRows, type RunEss } from '@maskgen/client';
import { Section } from './Notice';

/** An ESS run's resolved settings (defaults applied), its t* per batch and over samples, and the critic diagnostic. */
export function EssSettings({ ess }: { ess: RunEss }) {
  return (
    <Section title="ESS settings and t*" id="ess">
      <dl class="kv ess-settings">
        {essRows(ess).map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
      </dl>
    </Section>
  );
}
