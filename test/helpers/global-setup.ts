/** Says which database this run of the suite uses, so a log shows it at a glance. */
export default function setup() {
  const url = process.env.DATABASE_URL;
  const which = url?.startsWith('postgres') ? `PostgreSQL (${url.replace(/\/\/[^@]*@/, '//')})` : 'SQLite (a fresh file per test file)';
  console.log(`\n[hookbridge tests] database: ${which}\n`);
}
