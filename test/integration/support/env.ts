// Points the integration tests at the local stack unless the environment names other services.
process.env.CASSANDRA_CONTACT_POINTS ??= '127.0.0.1:9042';
process.env.CASSANDRA_LOCAL_DC ??= 'datacenter1';
process.env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
process.env.AWS_REGION ??= 'us-east-1';
// The handlers under test log every completed ingest at info; the test output needs warnings and errors.
process.env.LOG_LEVEL ??= 'warn';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
// The SDK's notice that its 2027 releases need Node 22 (the lockfile pins releases that support 20).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
