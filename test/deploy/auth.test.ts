// Every data route of both variants sits behind API Gateway's JWT authorizer with its scope, and the
// query functions are told the gateway verified the token (lib/auth.ts). Without it, the API would
// hand listening histories to anyone who can reach it.
import { ROUTE_SCOPES } from '../../lib/queries/routes';
import { EXAMPLE_ISSUER, env, ofType, packaged, QUERY_FUNCTIONS } from './support/package';

describe.each([
  ['self-hosted Cassandra', ['--stage', 'prod', '--param=cassandraContactPoints=10.0.1.10:9042']],
  [
    'Amazon Keyspaces',
    ['--stage', 'prod', '--param=database=keyspaces', '--param=authAudience=api://tracklog'],
  ],
])('the API’s authorizer (%s)', (_variant, args) => {
  const stack = packaged(args);
  const audience = args.includes('--param=authAudience=api://tracklog') ? 'api://tracklog' : 'tracklog';

  it('verifies bearer tokens of the issuer and audience the deploy names', () => {
    const authorizers = ofType(stack().template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]?.[1].Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: EXAMPLE_ISSUER, Audience: [audience] },
    });
  });

  it('guards every data route with it and the route’s scope; only the 404/405 catch-all is open', () => {
    const { template } = stack();
    const [[authorizerId]] = ofType(template, 'AWS::ApiGatewayV2::Authorizer') as [[string, unknown]];
    const routes = ofType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    const guarded = Object.fromEntries(
      routes
        .filter((r) => r.AuthorizationType === 'JWT')
        .map((r) => [String(r.RouteKey), { scopes: r.AuthorizationScopes, authorizer: r.AuthorizerId }]),
    );
    expect(guarded).toEqual(
      Object.fromEntries(
        Object.entries(ROUTE_SCOPES).map(([path, scope]) => [
          `GET ${path}`,
          { scopes: [scope], authorizer: { Ref: authorizerId } },
        ]),
      ),
    );
    const open = routes.filter((r) => r.AuthorizationType !== 'JWT').map((r) => String(r.RouteKey));
    expect(open.every((key) => key === '$default' || key.startsWith('ANY '))).toBe(true);
  });

  it('tells the query functions that the gateway verified the token, and for whom', () => {
    for (const fn of QUERY_FUNCTIONS)
      expect(env(stack().template, fn)).toMatchObject({
        AUTH_VERIFIED_BY: 'gateway',
        AUTH_ISSUER: EXAMPLE_ISSUER,
        AUTH_AUDIENCE: audience,
      });
  });
});
