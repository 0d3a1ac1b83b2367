using System.Security.Cryptography;
using System.Text.Json;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

/// <summary>examples/fastapi through pyhost and through uvicorn, compared: what a FastAPI service is used for.</summary>
public sealed class FastApiTests(FastApiServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<FastApiServers>(servers, matrix, output)
{
    [Fact]
    public Task PathAndQueryParametersAreTypedAndValidatedWith422() => CompareAsync(
        "JSON with typed path and query parameters; a wrong type or range is a 422 with FastAPI's details",
        async browser =>
        {
            RawHttpResponse item = (await browser.GetAsync("/items/1")).AssertStatus(200);
            Assert.Equal("hammer", item.Json().GetProperty("name").GetString());
            Assert.Equal("application/json", item.Header("Content-Type"));
            (await browser.GetAsync("/items/999")).AssertStatus(404);
            RawHttpResponse wrongType = (await browser.GetAsync("/items/hammer")).AssertStatus(422);
            Assert.Equal("type_error.integer", wrongType.Json().GetProperty("detail")[0].GetProperty("type").GetString());
            (await browser.GetAsync("/items?limit=0")).AssertStatus(422);
            Assert.Equal(1, (await browser.GetAsync("/items?tag=tools&limit=5")).AssertStatus(200).Json().GetArrayLength());
        });

    [Fact]
    public Task ABodyIsValidatedAndTheTokenDependencyGuardsWrites() => CompareAsync(
        "a pydantic body (422 when invalid) behind a dependency that checks a token header (401 without it)",
        async browser =>
        {
            (await browser.SendJsonAsync("POST", "/items", """{"name": "saw", "price": 12.5}""")).AssertStatus(401);
            RawHttpResponse invalid = (await browser.SendAsync("POST", "/items", ["Content-Type: application/json", "X-Token: let-me-in"],
                """{"name": "", "price": -1}"""u8.ToArray())).AssertStatus(422);
            Assert.Equal(2, invalid.Json().GetProperty("detail").GetArrayLength());
            RawHttpResponse created = (await browser.SendAsync("POST", "/items", ["Content-Type: application/json", "X-Token: let-me-in"],
                """{"name": "saw", "price": 12.5, "tags": ["tools", "wood"]}"""u8.ToArray())).AssertStatus(201);
            int id = created.Json().GetProperty("id").GetInt32();
            Assert.Equal("saw", (await browser.GetAsync($"/items/{id}")).AssertStatus(200).Json().GetProperty("name").GetString());
        });

    [Fact]
    public Task ABackgroundTaskRunsAfterTheResponse() => CompareAsync(
        "background tasks: run after the response went out, their effect seen by a later request",
        async browser =>
        {
            (await browser.SendAsync("POST", "/items", ["Content-Type: application/json", "X-Token: let-me-in"],
                """{"name": "level", "price": 20}"""u8.ToArray())).AssertStatus(201);
            for (int attempt = 0; attempt < 50; attempt++)
            {
                await Task.Delay(100);
                if ((await PeekAsync(browser.Server, "/notifications")).Contains("created level", StringComparison.Ordinal))
                {
                    break;
                }
            }
            Assert.Contains("created level", (await browser.GetAsync("/notifications")).AssertStatus(200).BodyText);
        });

    /// <summary>A look at the server outside the browser, so that polling leaves no trace in the transcript.</summary>
    private static async Task<string> PeekAsync(WebServer server, string target)
    {
        await using RawHttpConnection connection = await RawHttpConnection.OpenAsync(server.EndPoint);
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: {server.Authority}\r\n\r\n");
        return (await connection.ReadResponseAsync()).BodyText;
    }

    [Fact]
    public Task AStreamingResponseArrivesLineByLine() => CompareAsync(
        "StreamingResponse: lines read one by one as the generator yields them",
        async browser =>
        {
            await StreamAssert.ArrivesOneByOneAsync(browser, "/report?lines=4", [.. Enumerable.Range(1, 4).Select(line => $"line {line} of 4\n")],
                pause: TimeSpan.FromSeconds(0.15));
        });

    [Fact]
    public Task AFileUploadIsReadWhole() => CompareAsync(
        "UploadFile: a 300 KiB multipart upload, its size and SHA-256 as the app computed them",
        async browser =>
        {
            byte[] content = new byte[300 * 1024];
            new Random(11).NextBytes(content);
            RawHttpResponse uploaded = (await browser.PostMultipartAsync("/files", [], new FormFile("file", "scan.bin", "application/octet-stream", content))).AssertStatus(200);
            JsonElement result = uploaded.Json();
            Assert.Equal(content.Length, result.GetProperty("size").GetInt32());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), result.GetProperty("sha256").GetString());
            Assert.Equal("scan.bin", result.GetProperty("filename").GetString());
        });

    [Fact]
    public Task TheOpenApiDocumentIsTheSame() => CompareAsync(
        "the OpenAPI document and the docs page FastAPI generates",
        async browser =>
        {
            JsonElement openapi = (await browser.GetAsync("/openapi.json")).AssertStatus(200).Json();
            Assert.Equal("Inventory", openapi.GetProperty("info").GetProperty("title").GetString());
            Assert.Contains("swagger-ui", (await browser.GetAsync("/docs")).AssertStatus(200).BodyText);
        });

    [Fact]
    public Task TheWebSocketEndpointGreetsEchoesAndCloses() => CompareWebSocketAsync(
        "WebSocket endpoint: query parameter, JSON greeting, text echo, a close code from the app",
        "/ws/echo?name=ada",
        """[["recv"], ["send", "hi"], ["recv"], ["send", "bye"], ["recv"]]""",
        result =>
        {
            JsonElement[] transcript = result.GetProperty("transcript").EnumerateArray().ToArray();
            Assert.Equal("""{"hello": "ada"}""", transcript[1].GetProperty("text").GetString());
            Assert.Equal("ada said: hi", transcript[2].GetProperty("text").GetString());
            Assert.Equal(4000, transcript[3].GetProperty("code").GetInt32());
        });
}
