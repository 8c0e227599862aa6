/** The event catalog every new project starts with: seed 001 (Katya) and seed 002 (livedigital). */
export interface EventTypeSeed {
  name: string;
  description: string;
  category: string;
}

const katya: Array<[string, string]> = [
  ['trust.identity.created', 'A new identity was created'],
  ['trust.identity.updated', 'An identity was updated'],
  ['trust.verification.created', 'A new verification was created'],
  ['trust.verification.updated', 'A verification was updated'],
  ['trust.reputation.updated', 'A reputation was updated'],
  ['message.created', 'A new message was created'],
  ['message.updated', 'A message was updated'],
  ['message.deleted', 'A message was deleted'],
  ['room.created', 'A new room was created'],
  ['room.updated', 'A room was updated'],
  ['room.member.joined', 'A user joined a room'],
  ['room.member.left', 'A user left a room'],
  ['analytics.report.created', 'A new report was created'],
  ['analytics.report.completed', 'A report was completed'],
  ['analytics.metric.updated', 'A metric was updated'],
  ['security.alert.created', 'A new alert was created'],
  ['security.alert.updated', 'An alert was updated'],
  ['security.scan.completed', 'A scan was completed'],
  ['system.maintenance.start', 'Maintenance started'],
  ['system.maintenance.end', 'Maintenance ended'],
  ['system.status.changed', 'The system status changed'],
];

const livedigital: Array<[string, string]> = [
  ['call_started', 'A call started'],
  ['call_finished', 'A call finished'],
  ['record_started', 'A cloud recording started'],
  ['record_finished', 'A cloud recording finished successfully'],
  ['record_failed', 'A cloud recording failed'],
];

/** Recorded by Hookbridge itself (e.g. when it disables a failing webhook). */
export const OPERATIONAL_EVENTS: EventTypeSeed[] = [
  { name: 'webhook.disabled', description: 'Hookbridge disabled a failing webhook', category: 'webhook' },
];

export const SEED_EVENT_TYPES: EventTypeSeed[] = [
  ...katya.map(([name, description]) => ({ name, description, category: name.split('.')[0] })),
  ...livedigital.map(([name, description]) => ({ name, description, category: 'livedigital' })),
  ...OPERATIONAL_EVENTS,
];

export const LIVEDIGITAL_EVENTS = livedigital.map(([name]) => name);

/** Category of a new event type when none is given: the part before the first dot. */
export const categoryOf = (name: string) => (name.includes('.') ? name.split('.')[0] : 'custom');
