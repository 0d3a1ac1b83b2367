using System.Globalization;
using PyHost.Configuration.Model;
using YamlDotNet.RepresentationModel;

namespace PyHost.Configuration.Tests.Deploy;

/// <summary>
/// deploy/kubernetes agrees with the pyhost.toml it ships: every probe asks a health endpoint on a port where a
/// listener answers it, the Service reaches a listener, the grace period covers the drain, the autoscaler has the
/// CPU request it measures against.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Directory = Path.Combine(TestFiles.RepositoryRoot, "deploy", "kubernetes");

    private static YamlMappingNode Document(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Directory, file));
        stream.Load(reader);
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlNode At(YamlNode node, params string[] path)
    {
        foreach (string key in path)
        {
            YamlMappingNode mapping = Assert.IsType<YamlMappingNode>(node);
            Assert.True(mapping.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? child), $"no '{key}' in {string.Join(".", path)}");
            node = child!;
        }
        return node;
    }

    private static YamlNode? Find(YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? child) ? child : null;

    private static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    private static int Number(YamlNode node, params string[] path) => int.Parse(Text(node, path), CultureInfo.InvariantCulture);

    private static IEnumerable<YamlNode> Items(YamlNode node, params string[] path) => ((YamlSequenceNode)At(node, path)).Children;

    private static YamlNode Container() => Assert.Single(Items(Document("deployment.yaml"), "spec", "template", "spec", "containers"));

    /// <summary>The pyhost.toml the pod reads: the ConfigMap kustomize makes of it, mounted where serve -c looks.</summary>
    private static PyHostConfig ShippedConfig()
    {
        YamlNode generator = Assert.Single(Items(Document("kustomization.yaml"), "configMapGenerator"));
        string configMap = Text(generator, "name");
        string file = ((YamlScalarNode)Assert.Single(Items(generator, "files"))).Value!;

        YamlNode deployment = Document("deployment.yaml");
        YamlNode volume = Items(deployment, "spec", "template", "spec", "volumes").Single(v => Find(v, "configMap") is { } map && Text(map, "name") == configMap);
        YamlNode mount = Items(Container(), "volumeMounts").Single(m => Text(m, "name") == Text(volume, "name"));
        string[] command = Items(Container(), "command").Select(part => ((YamlScalarNode)part).Value!).ToArray();
        int c = Array.IndexOf(command, "-c");
        Assert.True(c > 0, "pyhost serve is started with -c CONFIG");
        Assert.Equal(Text(mount, "mountPath") + "/" + file, command[c + 1]);

        using var load = new LoadHelper();
        File.Copy(Path.Combine(Directory, file), Path.Combine(load.Files.Directory, "pyhost.toml"));
        return load.LoadValid("-c", "pyhost.toml");
    }

    /// <summary>A probe's or Service's port, by name or number, as the container's port number.</summary>
    private static int ContainerPort(string port)
    {
        YamlNode[] ports = Items(Container(), "ports").ToArray();
        YamlNode declared = int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            ? Assert.Single(ports, p => Number(p, "containerPort") == number)
            : Assert.Single(ports, p => Find(p, "name") is YamlScalarNode { Value: var name } && name == port);
        return Number(declared, "containerPort");
    }

    private static ListenerConfig ListenerOn(PyHostConfig config, int port) =>
        Assert.Single(config.Listeners, listener => listener.Address.Port == port && listener.Address.Protocol == ListenerProtocol.Http);

    [Theory]
    [InlineData("readinessProbe", "/_pyhost/ready")]
    [InlineData("livenessProbe", "/_pyhost/live")]
    [InlineData("startupProbe", "/_pyhost/live")]
    public void EachProbeAsksAHealthEndpointOnAListenerThatServesIt(string probe, string path)
    {
        PyHostConfig config = ShippedConfig();
        YamlNode httpGet = At(Container(), probe, "httpGet");

        Assert.Equal(path, Text(httpGet, "path"));
        ListenerConfig listener = ListenerOn(config, ContainerPort(Text(httpGet, "port")));
        Assert.True(listener.ServesHealthEndpoints, $"{listener.Address.Text} does not answer {path}");
        // The kubelet probes the pod's address, not its loopback.
        Assert.False(listener.Address.IsLocalhost || listener.Address.IsUnixSocket || System.Net.IPAddress.IsLoopback(listener.Address.Address!));
    }

    [Fact]
    public void TheServiceReachesAnAppListenerThatDoesNotExposeTheHealthEndpoints()
    {
        PyHostConfig config = ShippedConfig();
        YamlNode port = Assert.Single(Items(Document("service.yaml"), "spec", "ports"));
        ListenerConfig listener = ListenerOn(config, ContainerPort(Text(port, "targetPort")));
        Assert.False(listener.ServesHealthEndpoints);
        Assert.Equal(Text(Document("deployment.yaml"), "spec", "selector", "matchLabels", "app.kubernetes.io/name"),
            Text(Document("service.yaml"), "spec", "selector", "app.kubernetes.io/name"));
    }

    [Fact]
    public void TheGracePeriodCoversThePreStopSleepTheDrainAndTheGracefulTimeout()
    {
        PyHostConfig config = ShippedConfig();
        int grace = Number(Document("deployment.yaml"), "spec", "template", "spec", "terminationGracePeriodSeconds");
        int preStop = Number(Container(), "lifecycle", "preStop", "sleep", "seconds");
        TimeSpan needed = TimeSpan.FromSeconds(preStop) + config.Server.DrainDelay + config.Apps.Max(app => app.GracefulTimeout!.Value);
        Assert.True(TimeSpan.FromSeconds(grace) > needed, $"terminationGracePeriodSeconds {grace} < preStop + drain_delay + graceful_timeout = {needed.TotalSeconds} s");
        Assert.Equal("0", Text(Document("deployment.yaml"), "spec", "strategy", "rollingUpdate", "maxUnavailable"));
    }

    [Fact]
    public void TheAutoscalerScalesTheDeploymentOnTheCpuItRequests()
    {
        YamlNode hpa = Document("hpa.yaml");
        Assert.Equal("HorizontalPodAutoscaler", Text(hpa, "kind"));
        Assert.Equal(Text(Document("deployment.yaml"), "metadata", "name"), Text(hpa, "spec", "scaleTargetRef", "name"));
        Assert.Equal("cpu", Text(Assert.Single(Items(hpa, "spec", "metrics")), "resource", "name"));
        Assert.NotEmpty(Text(Container(), "resources", "requests", "cpu"));
        Assert.NotEmpty(Text(Container(), "resources", "requests", "memory"));
        Assert.True(Number(hpa, "spec", "minReplicas") >= 2, "one replica cannot drain without an outage");
    }

    [Fact]
    public void KustomizeListsEveryManifest()
    {
        string[] listed = Items(Document("kustomization.yaml"), "resources").Select(item => ((YamlScalarNode)item).Value!).Order().ToArray();
        string[] present = System.IO.Directory.EnumerateFiles(Directory, "*.yaml").Select(Path.GetFileName).Where(name => name != "kustomization.yaml").Order().ToArray()!;
        Assert.Equal(present, listed);
    }
}
