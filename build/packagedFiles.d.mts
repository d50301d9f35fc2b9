// Types for build/packagedFiles.mjs, imported by the TypeScript tests.
export interface BuilderConfig {
  readonly files?: readonly string[];
  readonly asarUnpack?: readonly string[];
  readonly electronFuses?: Readonly<Record<string, boolean>>;
  readonly [key: string]: unknown;
}
export declare const root: string;
export declare function builderConfig(dir?: string): BuilderConfig;
export declare function excludedByFiles(config: BuilderConfig, relPath: string): boolean;
export declare function packagedByFiles(config: BuilderConfig, relPath: string): boolean;
export declare function appFolders(config: BuilderConfig): string[];
export declare function asarUnpacked(config: BuilderConfig, relPath: string): boolean;
export declare function productionPackages(dir?: string): string[];
export declare function packagedPackages(config: BuilderConfig, dir?: string): string[];
export declare function stageApp(dest: string, config?: BuilderConfig, dir?: string): string[];
