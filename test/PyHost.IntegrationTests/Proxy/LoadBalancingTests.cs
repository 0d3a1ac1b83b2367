using System.Net;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// The balancing policies of [upstream.NAME] other than plain round robin, through a PyHost balancer: least requests
/// and power of two choices pass over a server that holds its requests, random takes every server in no fixed turn,
/// the sticky cookie is set on the wire and keeps a client on its server, a client address always reaches the same
/// server, and weights split the requests in their proportion. The servers are pyhost backends serving
/// apps/pep3333.py (the worker's pid tells them apart) or, where the test must hold a server's requests,
/// <see cref="TestBackend"/>s that answer their name.
/// </summary>
public sealed class LoadBalancingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("least_requests")]
    [InlineData("power_of_two_choices")]
    public async Task AServerThatHoldsItsRequestsIsPassedOverForOneThatAnswers(string policy)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using TestBackend holding = TestBackend.Start(async (_, stream, cancel) =>
        {
            await release.Task.WaitAsync(cancel);
            await TestBackend.WriteAsync(stream, 200, "holding", cancel);
        });
        await using TestBackend answering = TestBackend.Answering(200, "answering");
        await using var front = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [upstream.back]
            servers = ["{{holding.Url}}", "{{answering.Url}}"]
            policy = "{{policy}}"
            response_timeout = "5m"

            [[site]]
              [[site.route]]
              proxy = "back"
            """);

        // One request after the other: each is answered, or taken by the holding server and left waiting there.
        var held = new List<Task<RawHttpResponse>>();
        for (int i = 0; i < 30; i++)
        {
            int heldBefore = holding.Requests;
            Task<RawHttpResponse> request = Balancer.GetAsync(front, "/", timeout: TimeSpan.FromSeconds(120));
            Assert.True(await Eventually.HoldsAsync(() => request.IsCompleted || holding.Requests > heldBefore, TimeSpan.FromSeconds(30)),
                $"request {i} was neither answered nor held");
            if (holding.Requests > heldBefore)
            {
                held.Add(request);
            }
            else
            {
                Assert.Equal("answering", (await request).AssertStatus(200).BodyText);
            }
        }

        // The holding server's first request is a tie at 0 in flight; after it, the answering one has fewer in flight.
        // (A second may slip through while the balancer has yet to count the answering server's last request done,
        // a tie again at 1.) Round robin would have held every other request: 15.
        output.WriteLine($"{policy}: {held.Count} of 30 requests went to the server holding them");
        Assert.InRange(held.Count, 1, 3);
        Assert.Equal(30 - held.Count, answering.Requests);
        release.SetResult();
        Assert.All(await Task.WhenAll(held), response => Assert.Equal("holding", response.AssertStatus(200).BodyText));
    }

    [Fact]
    public async Task RandomTakesEveryServerInNoFixedTurn()
    {
        await using TestBackend a = TestBackend.Answering(200, "a"), b = TestBackend.Answering(200, "b");
        await using var front = await ConfiguredServer.StartAsync(output, Balancer.Toml($"\"{a.Url}\", \"{b.Url}\"", "policy = \"random\""));

        var servers = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            servers.Add((await Balancer.GetAsync(front, "/")).AssertStatus(200).BodyText);
        }

        string seen = string.Concat(servers);
        Assert.Contains("a", seen);
        Assert.Contains("b", seen);
        // Round robin would alternate; random repeats a server somewhere in 40 (all but certainly: 1 in 2^39 not).
        bool repeats = Enumerable.Range(1, servers.Count - 1).Any(i => servers[i] == servers[i - 1]);
        Assert.True(repeats, $"strict turns: {seen}");
    }

    [Fact]
    public async Task TheStickyCookieIsSetOnTheWireAndKeepsAClientOnItsServer()
    {
        ConfiguredServer[] backends = await Task.WhenAll(Pep3333Server.StartBackendAsync(output), Pep3333Server.StartBackendAsync(output));
        await using ConfiguredServer one = backends[0], two = backends[1];
        await using var front = await ConfiguredServer.StartAsync(output, Balancer.Toml(
            $"\"http://127.0.0.1:{one.Ports[0]}\", \"http://127.0.0.1:{two.Ports[0]}\"", "policy = \"cookie\"\nsticky_cookie = \"backend\""));

        // A client without the cookie gets a server in turn, and the cookie that names it.
        var sticky = new List<(string Cookie, int Pid)>();
        for (int i = 0; i < 2; i++)
        {
            RawHttpResponse first = (await Balancer.GetAsync(front, "/echo")).AssertStatus(200);
            Match cookie = Regex.Match(first.Head.Text, @"\r\nSet-Cookie: backend=([0-9a-f]{16}); Path=/; HttpOnly; SameSite=Lax\r\n", RegexOptions.IgnoreCase);
            Assert.True(cookie.Success, $"no sticky cookie on the wire:\n{first.Head.Text}");
            sticky.Add((cookie.Groups[1].Value, first.Json().GetProperty("pid").GetInt32()));
        }
        Assert.NotEqual(sticky[0].Pid, sticky[1].Pid);
        Assert.NotEqual(sticky[0].Cookie, sticky[1].Cookie);

        // With its cookie, each client stays on its server (round robin alone would move it every other time), and is
        // not sent the cookie again.
        for (int i = 0; i < 6; i++)
        {
            foreach ((string cookie, int pid) in sticky)
            {
                RawHttpResponse again = (await Balancer.GetAsync(front, "/echo", headers: $"Cookie: other=1; backend={cookie}\r\n")).AssertStatus(200);
                Assert.Equal(pid, again.Json().GetProperty("pid").GetInt32());
                Assert.Null(again.Header("Set-Cookie"));
            }
        }
    }

    [Fact]
    public async Task AClientAddressAlwaysReachesTheSameServer()
    {
        ConfiguredServer[] backends = await Task.WhenAll(Pep3333Server.StartBackendAsync(output), Pep3333Server.StartBackendAsync(output));
        await using ConfiguredServer one = backends[0], two = backends[1];
        await using var front = await ConfiguredServer.StartAsync(output, Balancer.Toml(
            $"\"http://127.0.0.1:{one.Ports[0]}\", \"http://127.0.0.1:{two.Ports[0]}\"", "policy = \"client_address_hash\""));

        // Sixteen clients, each on its own loopback address, three requests each.
        var served = new List<(string Client, int Pid)>();
        for (int n = 2; n < 18; n++)
        {
            var client = IPAddress.Parse($"127.0.0.{n}");
            for (int i = 0; i < 3; i++)
            {
                RawHttpResponse echo = (await Balancer.GetAsync(front, "/echo", from: client)).AssertStatus(200);
                Assert.Equal(client.ToString(), echo.Environ()["REMOTE_ADDR"].GetString());
                served.Add((client.ToString(), echo.Json().GetProperty("pid").GetInt32()));
            }
        }

        var serversOf = served.GroupBy(request => request.Client).ToDictionary(client => client.Key, client => client.Select(request => request.Pid).Distinct().ToList());
        output.WriteLine(string.Join(", ", serversOf.Select(client => $"{client.Key} → {string.Join("/", client.Value)}")));
        Assert.All(serversOf.Values, pids => Assert.Single(pids));
        // Both servers have clients (the hash puts all sixteen on one 1 time in 2^15).
        Assert.Equal(2, served.Select(request => request.Pid).Distinct().Count());
    }

    [Fact]
    public async Task WeightsSplitRequestsInTheirProportion()
    {
        await using TestBackend heavy = TestBackend.Answering(200, "heavy"), light = TestBackend.Answering(200, "light");
        string servers = $"{{ address = \"{heavy.Url}\", weight = 3 }}, {{ address = \"{light.Url}\", weight = 1 }}";
        await using var front = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [upstream.turns]
            servers = [{{servers}}]

            [upstream.chance]
            servers = [{{servers}}]
            policy = "random"

            [[site]]
              [[site.route]]
              path = "/turns"
              proxy = "turns"

              [[site.route]]
              path = "/chance"
              proxy = "chance"
            """);

        // Weighted round robin: three to one in every four requests.
        var turns = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            turns.Add((await Balancer.GetAsync(front, "/turns")).AssertStatus(200).BodyText);
        }
        Assert.All(turns.Chunk(4), four => Assert.Equal(3, four.Count(server => server == "heavy")));

        // Weighted random: 3:1 within tolerance (400 draws at p = 0.75: 300 expected, 8.7 the standard deviation; an
        // even split would give 200).
        int heavyBefore = heavy.Requests;
        for (int i = 0; i < 400; i++)
        {
            (await Balancer.GetAsync(front, "/chance")).AssertStatus(200);
        }
        int chance = heavy.Requests - heavyBefore;
        output.WriteLine($"weighted random: {chance} of 400 to the server of weight 3");
        Assert.InRange(chance, 255, 345);
    }
}
