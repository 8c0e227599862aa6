/** A secret the API showed once (create, rotate), carried to the next screen in memory only. */
const secrets = new Map<string, string>();
export const putSecret = (id: string, secret: string) => void secrets.set(id, secret);
export const peekSecret = (id: string) => secrets.get(id);
