export declare function vacuumCatalogs(url: string): Promise<string>;
