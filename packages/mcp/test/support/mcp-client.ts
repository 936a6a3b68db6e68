/**
 * An MCP client for the tests (the SDK's own), over stdio (the CLI as a child process) or
 * Streamable HTTP, that records every tool answer so a test can check no secret ever left.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

export type Elicit = 'accept' | 'decline' | 'cancel' | 'accept-no';

export interface TestClient {
  client: Client;
  /** Every tool result, as the JSON the client received. */
  outputs: string[];
  /** Elicitation requests received (their messages). */
  elicitations: string[];
  /** What the next elicitation answers (when the client declares elicitation). */
  answer: Elicit;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the structured results field by field
  call(name: string, args?: Record<string, unknown>): Promise<{ data: any; isError: boolean; text: string }>;
  close(): Promise<void>;
}

function make(elicitation: boolean): TestClient {
  const client = new Client(
    { name: 'farebox-test', version: '1.0.0' },
    { capabilities: elicitation ? { elicitation: {} } : {} },
  );
  const t: TestClient = {
    client,
    outputs: [],
    elicitations: [],
    answer: 'accept',
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
      const text = JSON.stringify(r);
      t.outputs.push(text);
      const first = r.content[0];
      return {
        // biome-ignore lint/suspicious/noExplicitAny: see `call`
        data: r.structuredContent as any,
        isError: r.isError === true,
        text: first?.type === 'text' ? first.text : '',
      };
    },
    close: () => client.close(),
  };
  if (elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      t.elicitations.push(req.params.message);
      if (t.answer === 'accept') return { action: 'accept', content: { approve: true } };
      if (t.answer === 'accept-no') return { action: 'accept', content: { approve: false } };
      return { action: t.answer };
    });
  }
  return t;
}

/** Spawns `farebox mcp` (the built CLI) and connects over stdio. */
export async function stdioClient(
  env: Record<string, string>,
  o: { elicitation?: boolean; args?: string[] } = {},
): Promise<TestClient & { stderr: () => string }> {
  const t = make(o.elicitation ?? false);
  const bin = new URL('../../../cli/bin/farebox.js', import.meta.url).pathname;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp', ...(o.args ?? [])],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await t.client.connect(transport);
  return Object.assign(t, { stderr: () => err });
}

/** Connects over Streamable HTTP with a bearer token. */
export async function httpClient(
  url: string,
  token: string,
  o: { elicitation?: boolean } = {},
): Promise<TestClient> {
  const t = make(o.elicitation ?? false);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await t.client.connect(transport);
  return t;
}
