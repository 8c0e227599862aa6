export declare const DEFAULT_PG_URL: string;
export declare function shown(url: string): string;
export declare function probePostgres(url: string): Promise<string | undefined>;
