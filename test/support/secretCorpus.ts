/**
 * A planted-secret corpus: credentials in the shapes they take in a real
 * process's environment and command line (after gitleaks' rule set, plus the
 * forms SRE tooling sees: URLs with credentials, DSNs, connection strings,
 * short options with attached values, header arguments). Every value is fake
 * and unique, so a grep for it finds only a leak. `secret` is the part that
 * must never be stored, exported or printed; a shape whose name is secret
 * also checks that the name is kept in the redaction record.
 */

export interface PlantedEnv {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly secret: string;
}

export interface PlantedArgs {
  readonly id: string;
  /** Consecutive arguments, as the program receives them. */
  readonly args: readonly string[];
  readonly secret: string;
}

const hex = (seed: string, n: number) => {
  let out = '';
  for (let i = 0; out.length < n; i++) out += ((seed.charCodeAt(i % seed.length) * 31 + i * 7) % 16).toString(16);
  return out;
};

/** Values under names that say "secret", and credential-shaped values under names that do not. */
export const PLANTED_ENV: readonly PlantedEnv[] = [
  // Secret by name (the list first).
  { id: 'env-db-pass', name: 'DB_PASS', value: 'Xq7dbpassPl4nted', secret: 'Xq7dbpassPl4nted' },
  { id: 'env-passphrase', name: 'PASSPHRASE', value: 'correct horse Pl4nted staple', secret: 'correct horse Pl4nted staple' },
  { id: 'env-sentry-dsn', name: 'SENTRY_DSN', value: 'https://Pl4ntedSentryKey0a1b2c3d4e5f@o12345.ingest.sentry.io/678', secret: 'Pl4ntedSentryKey0a1b2c3d4e5f' },
  { id: 'env-stripe-sk', name: 'STRIPE_SK', value: 'sk_live_Pl4nted4eC39HqLyjWDarjtT1zdp7dc', secret: 'sk_live_Pl4nted4eC39HqLyjWDarjtT1zdp7dc' },
  { id: 'env-mysql-root-password', name: 'MYSQL_ROOT_PASSWORD', value: 'Pl4ntedMysqlRootPw', secret: 'Pl4ntedMysqlRootPw' },
  { id: 'env-smtp-pass', name: 'SMTP_PASS', value: 'Pl4ntedSmtpPass', secret: 'Pl4ntedSmtpPass' },
  { id: 'env-db-pwd', name: 'DB_PWD', value: 'Pl4ntedDbPwd', secret: 'Pl4ntedDbPwd' },
  { id: 'env-db-pw', name: 'DB_PW', value: 'Pl4ntedDbPw2', secret: 'Pl4ntedDbPw2' },
  { id: 'env-aws-secret', name: 'AWS_SECRET_ACCESS_KEY', value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYPl4ntedKEY', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYPl4ntedKEY' },
  { id: 'env-app-secret', name: 'APP_SECRET', value: 'Pl4ntedAppSecret', secret: 'Pl4ntedAppSecret' },
  { id: 'env-signing-key', name: 'SIGNING_KEY', value: 'Pl4ntedSigningKey', secret: 'Pl4ntedSigningKey' },
  { id: 'env-oauth-token', name: 'OAUTH_TOKEN', value: 'Pl4ntedOauthToken', secret: 'Pl4ntedOauthToken' },
  { id: 'env-client-secret', name: 'OIDC_CLIENT_SECRET', value: 'Pl4ntedOidcClientSecret', secret: 'Pl4ntedOidcClientSecret' },
  { id: 'env-api-key', name: 'API_KEY', value: 'Pl4ntedEnvApiKey', secret: 'Pl4ntedEnvApiKey' },
  { id: 'env-apikey-camel', name: 'datadogApiKey', value: 'Pl4ntedCamelApiKey', secret: 'Pl4ntedCamelApiKey' },
  { id: 'env-lower-password', name: 'db_password', value: 'Pl4ntedLowerDbPassword', secret: 'Pl4ntedLowerDbPassword' },
  { id: 'env-jwt-secret', name: 'JWT_SECRET', value: 'Pl4ntedJwtSecret', secret: 'Pl4ntedJwtSecret' },
  { id: 'env-credentials', name: 'REGISTRY_CREDENTIALS', value: 'robot:Pl4ntedRegistryCreds', secret: 'Pl4ntedRegistryCreds' },
  { id: 'env-webhook', name: 'DEPLOY_WEBHOOK', value: 'https://ci.example.com/hook/Pl4ntedWebhookPath', secret: 'Pl4ntedWebhookPath' },
  { id: 'env-session-secret', name: 'SESSION_SECRET', value: 'Pl4ntedSessionSecret', secret: 'Pl4ntedSessionSecret' },
  // Credential by shape, under names that say nothing.
  { id: 'env-redis-url-empty-user', name: 'REDIS_URL', value: 'redis://:Pl4ntedRedisPw@cache.internal:6379/0', secret: 'Pl4ntedRedisPw' },
  { id: 'env-url-password-slash', name: 'DATABASE_URL', value: 'postgres://app:pg/Pl4nted@pw@db.internal:5432/app', secret: 'pg/Pl4nted@pw' },
  { id: 'env-amqp-url', name: 'BROKER', value: 'amqp://guest:Pl4ntedAmqpPw@rabbit:5672/', secret: 'Pl4ntedAmqpPw' },
  { id: 'env-url-token-userinfo', name: 'GIT_REMOTE', value: 'https://Pl4ntedGitUserinfoToken@github.com/org/repo.git', secret: 'Pl4ntedGitUserinfoToken' },
  { id: 'env-proxy-url', name: 'http_proxy', value: 'http://proxyuser:Pl4ntedProxyPw@proxy:3128', secret: 'Pl4ntedProxyPw' },
  { id: 'env-mysql-dsn', name: 'MYSQL_ADDR', value: 'app:Pl4ntedGoMysqlPw@tcp(db:3306)/app?parseTime=true', secret: 'Pl4ntedGoMysqlPw' },
  { id: 'env-libpq', name: 'PG_CONN', value: 'host=db user=app password=Pl4ntedLibpqPw dbname=app', secret: 'Pl4ntedLibpqPw' },
  {
    id: 'env-azure-storage',
    name: 'STORAGE_CONN',
    value: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Pl4ntedAzure${hex('az', 24)}==;EndpointSuffix=core.windows.net`,
    secret: `Pl4ntedAzure${hex('az', 24)}`,
  },
  { id: 'env-aws-key-id', name: 'UPLOADER', value: 'AKIAZP3ANTEDQ2XYZ4AB', secret: 'AKIAZP3ANTEDQ2XYZ4AB' },
  { id: 'env-github-pat', name: 'CI_HELPER', value: `ghp_Pl4nted${'a1B2c3D4e5'.repeat(3)}Zz`, secret: `ghp_Pl4nted${'a1B2c3D4e5'.repeat(3)}Zz` },
  { id: 'env-gitlab-pat', name: 'DEPLOY_HELPER', value: 'glpat-Pl4ntedGitlab12345678', secret: 'glpat-Pl4ntedGitlab12345678' },
  { id: 'env-slack-bot', name: 'NOTIFY', value: 'xoxb-1234567890-1234567890123-Pl4ntedSlackBotAbcdef', secret: 'Pl4ntedSlackBotAbcdef' },
  { id: 'env-slack-webhook', name: 'ALERT_HOOK', value: 'https://hooks.slack.com/services/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56', secret: 'Pl4ntedSlackWebhook0123456' },
  { id: 'env-jwt', name: 'UPSTREAM_HEADER', value: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQbDRudGVkIn0.Pl4ntedJwtSignatureAbcDef', secret: 'Pl4ntedJwtSignatureAbcDef' },
  { id: 'env-pem', name: 'TLS_MATERIAL', value: '-----BEGIN PRIVATE KEY-----\nMIIEvPl4ntedPemBodyAAAA\n-----END PRIVATE KEY-----', secret: 'MIIEvPl4ntedPemBodyAAAA' },
  {
    id: 'env-openssh-key',
    name: 'DEPLOY_MATERIAL',
    value: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaPl4ntedOpensshBody\n-----END OPENSSH PRIVATE KEY-----',
    secret: 'b3BlbnNzaPl4ntedOpensshBody',
  },
  { id: 'env-gcp-api-key', name: 'MAPS_CFG', value: 'AIzaSyPl4nted-0123456789abcdefghijklm', secret: 'AIzaSyPl4nted-0123456789abcdefghijklm' },
  { id: 'env-sendgrid', name: 'MAILER', value: 'SG.Pl4ntedSendgrid0001.Pl4ntedSendgridSecretPart0123456789abcdefghi', secret: 'Pl4ntedSendgridSecretPart0123456789abcdefghi' },
  { id: 'env-twilio', name: 'SMS_GATEWAY', value: `SK${hex('twilio', 32)}`, secret: `SK${hex('twilio', 32)}` },
  { id: 'env-npm', name: 'BUILD_HELPER', value: 'npm_Pl4ntedNpmToken0123456789abcdefghi', secret: 'npm_Pl4ntedNpmToken0123456789abcdefghi' },
  { id: 'env-vault', name: 'AGENT_CFG', value: 'hvs.CAESIPl4ntedVaultServiceToken0123456789abcdef', secret: 'hvs.CAESIPl4ntedVaultServiceToken0123456789abcdef' },
  { id: 'env-openai', name: 'ML_CLIENT', value: 'sk-proj-Pl4ntedOpenAi0123456789T3BlbkFJabcdefghij0123456789', secret: 'Pl4ntedOpenAi0123456789T3BlbkFJ' },
  { id: 'env-anthropic', name: 'ASSISTANT', value: 'sk-ant-api03-Pl4ntedAnthropic0123456789abcdefghij', secret: 'Pl4ntedAnthropic0123456789abcdefghij' },
  { id: 'env-digitalocean', name: 'CLOUD', value: `dop_v1_${hex('digitalocean', 64)}`, secret: `dop_v1_${hex('digitalocean', 64)}` },
  { id: 'env-shopify', name: 'SHOP', value: `shpat_${hex('shopify', 32)}`, secret: `shpat_${hex('shopify', 32)}` },
  { id: 'env-huggingface', name: 'MODEL_HUB', value: 'hf_PlantedHuggingFaceTokenAbcdefghijk', secret: 'hf_PlantedHuggingFaceTokenAbcdefghijk' },
  { id: 'env-databricks', name: 'LAKEHOUSE', value: `dapi${hex('databricks', 32)}`, secret: `dapi${hex('databricks', 32)}` },
  { id: 'env-pypi', name: 'PUBLISH', value: `pypi-AgEIcHlwaS5vcmcPl4nted${'x1Y2z3'.repeat(9)}`, secret: `Pl4nted${'x1Y2z3'.repeat(9)}` },
  { id: 'env-telegram', name: 'BOT', value: '123456789:AAPl4ntedTelegram0123456789abcdefghij', secret: 'AAPl4ntedTelegram0123456789abcdefghij' },
  { id: 'env-bearer-value', name: 'UPSTREAM_AUTH_HEADER_VALUE', value: 'Bearer Pl4ntedEnvBearer0123', secret: 'Pl4ntedEnvBearer0123' },
  { id: 'env-json-password', name: 'APP_CONFIG', value: '{"db":{"user":"app","password":"Pl4ntedJsonPassword"}}', secret: 'Pl4ntedJsonPassword' },
];

/** Shapes in the command line (the program's own flags follow `--`). */
export const PLANTED_ARGS: readonly PlantedArgs[] = [
  { id: 'arg-mysql-attached-p', args: ['-pPl4ntedMysqlFlagPw'], secret: 'Pl4ntedMysqlFlagPw' },
  { id: 'arg-authorization-bearer', args: ['-H', 'Authorization: Bearer Pl4ntedBearerToken0123'], secret: 'Pl4ntedBearerToken0123' },
  { id: 'arg-api-key-space', args: ['--api-key', 'Pl4ntedApiKeyValue'], secret: 'Pl4ntedApiKeyValue' },
  { id: 'arg-pgpassword-positional', args: ['PGPASSWORD=Pl4ntedPgPositional'], secret: 'Pl4ntedPgPositional' },
  { id: 'arg-password-eq', args: ['--password=Pl4ntedPasswordEq'], secret: 'Pl4ntedPasswordEq' },
  { id: 'arg-db-pass-space', args: ['--db-pass', 'Pl4ntedDbPassSpace'], secret: 'Pl4ntedDbPassSpace' },
  { id: 'arg-java-property', args: ['-Djavax.net.ssl.keyStorePassword=Pl4ntedJavaProp'], secret: 'Pl4ntedJavaProp' },
  { id: 'arg-x-api-key-header', args: ['--header=X-Api-Key: Pl4ntedXApiKeyHdr'], secret: 'Pl4ntedXApiKeyHdr' },
  { id: 'arg-curl-user', args: ['-u', 'admin:Pl4ntedCurlUserPw'], secret: 'Pl4ntedCurlUserPw' },
  { id: 'arg-dsn-url', args: ['--dsn', 'postgres://u:Pl4ntedArgUrlPw@h/db'], secret: 'Pl4ntedArgUrlPw' },
  { id: 'arg-mongo-url', args: ['mongodb+srv://root:Pl4ntedMongoPw@cluster0.example.net/db'], secret: 'Pl4ntedMongoPw' },
  { id: 'arg-client-secret', args: ['--client-secret', 'Pl4ntedClientSecret'], secret: 'Pl4ntedClientSecret' },
  { id: 'arg-openssl-pass', args: ['-passin', 'pass:Pl4ntedOpensslPass'], secret: 'Pl4ntedOpensslPass' },
  { id: 'arg-secret-space', args: ['--secret', 'Pl4ntedSecretSpace'], secret: 'Pl4ntedSecretSpace' },
  { id: 'arg-basic-auth', args: ['Authorization: Basic UGw0bnRlZEJhc2ljQXV0aA=='], secret: 'UGw0bnRlZEJhc2ljQXV0aA==' },
  { id: 'arg-redis-password-positional', args: ['REDIS_PASSWORD=Pl4ntedRedisPositional'], secret: 'Pl4ntedRedisPositional' },
  { id: 'arg-access-token', args: ['--access-token', 'Pl4ntedAccessToken'], secret: 'Pl4ntedAccessToken' },
  { id: 'arg-json-config', args: ['--config-json={"password":"Pl4ntedArgJsonPw"}'], secret: 'Pl4ntedArgJsonPw' },
  { id: 'arg-stripe-positional', args: ['sk_test_Pl4ntedStripeArg0123456789'], secret: 'sk_test_Pl4ntedStripeArg0123456789' },
  { id: 'arg-token-camel', args: ['--authToken=Pl4ntedCamelAuthToken'], secret: 'Pl4ntedCamelAuthToken' },
];

/** Settings the tool reads and shows: they must reach storage and the process list unmasked. */
export const HARMLESS_ENV: Readonly<Record<string, string>> = {
  GOMAXPROCS: '2',
  GOMEMLIMIT: '200MiB',
  GOGC: '150',
  GODEBUG: 'madvdontneed=1,gctrace=0',
  GOTRACEBACK: 'crash',
  LANG: 'C.UTF-8',
  TOKENIZER_MODEL: 'bert-base',
  KEYBOARD_LAYOUT: 'us',
};

export const PLANTED_COUNT = PLANTED_ENV.length + PLANTED_ARGS.length;

/** The environment for a planted process: the corpus plus the harmless settings. */
export function plantedEnvironment(): Record<string, string> {
  const env: Record<string, string> = { ...HARMLESS_ENV };
  for (const p of PLANTED_ENV) env[p.name] = p.value;
  return env;
}

export function plantedArguments(): string[] {
  return PLANTED_ARGS.flatMap((p) => [...p.args]);
}
