/** Path → screen. A portal session reaches only the portal's screens. */
import type { Location } from './router';
import { match } from './router';
import type { Session } from './session';
import { Empty, Link, PageTitle } from './ui';
import { WebhookList } from './screens/webhooks';
import { WebhookForm } from './screens/webhook-form';
import { WebhookDetail } from './screens/webhook-detail';
import { DeliveryDetail } from './screens/delivery';
import { ErrorsPage } from './screens/errors';
import { StatsPage } from './screens/stats';
import { SpacesPage } from './screens/spaces';
import { SourcesPage, SourceRequests } from './screens/sources';
import { MeetingsPage } from './screens/meetings';
import { RatingsPage } from './screens/ratings';
import { JobsPage } from './screens/jobs';
import { PortalLinksPage } from './screens/portal-links';

type Screen = (p: { params: Record<string, string>; loc: Location; session: Session }) => preact.JSX.Element;

const ROUTES: Array<[string, Screen, boolean]> = [
  ['/webhooks', () => <WebhookList />, true],
  ['/webhooks/new', () => <WebhookForm />, true],
  ['/webhooks/:id', ({ params }) => <WebhookDetail id={params.id} />, true],
  ['/webhooks/:id/edit', ({ params }) => <WebhookForm id={params.id} />, true],
  ['/deliveries/:id', ({ params }) => <DeliveryDetail id={params.id} />, true],
  ['/errors', ({ loc }) => <ErrorsPage loc={loc} />, true],
  ['/stats', ({ loc }) => <StatsPage loc={loc} />, true],
  ['/spaces', () => <SpacesPage />, false],
  ['/sources', () => <SourcesPage />, false],
  ['/sources/:id', ({ params }) => <SourceRequests id={params.id} />, false],
  ['/meetings', () => <MeetingsPage />, false],
  ['/ratings', () => <RatingsPage />, false],
  ['/jobs', ({ loc }) => <JobsPage loc={loc} />, false],
  ['/portal-links', () => <PortalLinksPage />, false],
];

export function Routes({ loc, session }: { loc: Location; session: Session }) {
  for (const [pattern, Screen, portal] of ROUTES) {
    const params = match(pattern, loc.path);
    if (!params) continue;
    if (!portal && session.kind === 'portal') break;
    return <Screen params={params} loc={loc} session={session} />;
  }
  return (
    <>
      <PageTitle>Not found</PageTitle>
      <Empty>
        There is no page at <code>{loc.path}</code>. <Link href="/webhooks">Go to the webhooks</Link>.
      </Empty>
    </>
  );
}
