/** Meeting rooms made for the chat plugin, and the requests that failed. */
import { useState } from 'preact/hooks';
import { qs } from '../api';
import { useGet } from '../hooks';
import { fmtTime } from '../format';
import { Empty, ErrorBox, Field, Loading, PageTitle, Pager, StatusBadge } from '../ui';

interface Meeting {
  id: string;
  channelId: string;
  channelName: string | null;
  userId: string;
  username: string | null;
  operationType: string | null;
  title: string | null;
  provider: string;
  roomName: string | null;
  roomUrl: string | null;
  status: string;
  error: string | null;
  createdAt: string;
}

export function MeetingsPage() {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useGet<Meeting[]>(`/v1/meetings${qs({ limit: 50, offset, status })}`);
  return (
    <>
      <PageTitle>Meetings</PageTitle>
      <Field label="Status" class="inline">
        {(id) => (
          <select id={id} value={status} onChange={(e) => (setStatus(e.currentTarget.value), setOffset(0))}>
            <option value="">all</option>
            <option value="created">created</option>
            <option value="failed">failed</option>
          </select>
        )}
      </Field>
      <ErrorBox error={list.error} />
      {list.loading && !list.data && <Loading what="Loading meetings" />}
      {list.data && !list.data.length && <Empty>No meetings yet: rooms appear here when the chat plugin asks for one.</Empty>}
      {list.data && list.data.length > 0 && (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Room</th>
              <th scope="col">Channel</th>
              <th scope="col">User</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((m) => (
              <tr key={m.id}>
                <td data-label="Time">{fmtTime(m.createdAt)}</td>
                <td data-label="Room">
                  {m.roomUrl ? (
                    <a href={m.roomUrl} target="_blank" rel="noopener noreferrer">
                      {m.title ?? m.roomName ?? m.roomUrl}
                    </a>
                  ) : (
                    m.title ?? m.roomName ?? '—'
                  )}
                </td>
                <td data-label="Channel">{m.channelName ?? m.channelId}</td>
                <td data-label="User">{m.username ?? m.userId}</td>
                <td data-label="Status">
                  <StatusBadge status={m.status} /> {m.error && <span class="reason">{m.error}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pagination={list.pagination} onOffset={setOffset} />
    </>
  );
}
