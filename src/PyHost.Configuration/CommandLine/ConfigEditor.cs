using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.CommandLine;

/// <summary>
/// Applies flat, gunicorn-style settings (flags, environment, a gunicorn .py file) onto a model, layer after layer,
/// recording where each value came from. Settings of "the app" need exactly one app; settings of every listener,
/// every site or every route of a kind apply to all of them, including ones a later <c>-b</c> or <c>--static</c>
/// brings, so they wait for <see cref="Finish"/>. Given twice, a setting's later value wins.
/// </summary>
public sealed partial class ConfigEditor
{
    private readonly Dictionary<string, SettingOrigin> _origins;
    private readonly ReadContext _quietContext;
    private readonly List<(string Key, TomlNode Value, SettingOrigin Origin)> _listenerSettings = [];
    private List<(ListenAddress Address, SettingOrigin Origin)>? _binds;
    private PyHostConfig _config;

    public ConfigEditor(PyHostConfig start, DiagnosticBag diagnostics, string baseDirectory)
    {
        _config = start;
        _origins = new Dictionary<string, SettingOrigin>(start.Provenance.Origins, StringComparer.Ordinal);
        Diagnostics = diagnostics;
        Context = new ReadContext(diagnostics, _origins, baseDirectory, lenient: true);
        _quietContext = new ReadContext(new DiagnosticBag(), _origins, baseDirectory, lenient: true);
    }

    public DiagnosticBag Diagnostics { get; }

    /// <summary>Reads values leniently (text is fine for numbers) relative to the current directory.</summary>
    public ReadContext Context { get; }

    public void SetApp(string key, TomlNode value, SettingOrigin origin)
    {
        int index = SingleApp(origin, key);
        if (index < 0)
        {
            return;
        }
        AppConfig app = _config.Apps[index];
        string path = $"app.{app.Name}.{key}";
        AppConfig changed = AppConfig.Table.Find(key)!.Read(app, value, Context, path);
        _origins[path] = origin;
        _config = _config with { Apps = _config.Apps.Select((one, at) => at == index ? changed : one).ToList() };
    }

    /// <summary>APP on the command line, or gunicorn's wsgi_app: the single app's module (and no paste).</summary>
    public void SetAppSpec(TomlNode value, SettingOrigin origin) => SetApp("module", value, origin);

    /// <summary><c>-e KEY=VALUE</c>: added to the app's environment (later layers win per variable).</summary>
    public void AddEnvironment(TomlNode value, SettingOrigin origin)
    {
        var pairs = new TomlTable(origin);
        foreach (TomlNode item in Items(value))
        {
            string text = item is TomlScalar scalar ? scalar.Value as string ?? scalar.Text : "";
            int equals = text.IndexOf('=');
            if (equals <= 0)
            {
                Diagnostics.Error(origin, "env", $"'{text}': expected KEY=VALUE", "e.g. -e DJANGO_SETTINGS_MODULE=mysite.settings");
                continue;
            }
            pairs.Set(text[..equals], TomlValues.Text(text[(equals + 1)..], origin), origin);
        }
        int index = SingleApp(origin, "env");
        if (index < 0)
        {
            return;
        }
        AppConfig app = _config.Apps[index];
        var merged = new Dictionary<string, string>(app.Env, StringComparer.Ordinal);
        foreach (TomlEntry entry in pairs.Entries)
        {
            merged[entry.Key] = (string)((TomlScalar)entry.Value).Value;
            _origins[$"app.{app.Name}.env.{entry.Key}"] = origin;
        }
        _origins[$"app.{app.Name}.env"] = origin;
        _config = _config with { Apps = _config.Apps.Select((one, at) => at == index ? one with { Env = merged } : one).ToList() };
    }

    public void SetServer(string key, TomlNode value, SettingOrigin origin)
    {
        string path = $"server.{key}";
        _config = _config with { Server = ServerConfig.Table.Find(key)!.Read(_config.Server, value, Context, path) };
        _origins[path] = origin;
    }

    public void SetLog(string key, TomlNode value, SettingOrigin origin)
    {
        string path = $"log.{key}";
        _config = _config with { Log = LogConfig.Table.Find(key)!.Read(_config.Log, value, Context, path) };
        _origins[path] = origin;
    }

    public void SetAdmin(string key, TomlNode value, SettingOrigin origin)
    {
        string path = $"admin.{key}";
        _config = _config with { Admin = AdminConfig.Table.Find(key)!.Read(_config.Admin, value, Context, path) };
        _origins[path] = origin;
    }

    /// <summary>A key of every listener ("backlog", "limits.keepalive_timeout"), applied when the listeners are known.</summary>
    public void SetListeners(string key, TomlNode value, SettingOrigin origin) => _listenerSettings.Add((key, value, origin));

    /// <summary><c>-b</c>: the listeners' addresses. A later layer's binds replace an earlier layer's (and the file's).</summary>
    public void Bind(TomlNode value, SettingOrigin origin)
    {
        var binds = new List<(ListenAddress, SettingOrigin)>();
        var addressType = new ListenAddressType();
        int index = 0;
        foreach (TomlNode item in Items(value))
        {
            if (addressType.TryRead(item, Context, $"listen[{index}].address", out ListenAddress address))
            {
                binds.Add((address, origin));
            }
            index++;
        }
        _binds = binds;
    }

    /// <summary>The model with every layer applied: binds, then settings of every listener, static routes, settings of every site and of every route.</summary>
    public PyHostConfig Finish()
    {
        if (_binds is not null)
        {
            foreach (string key in _origins.Keys.Where(key => key.StartsWith("listen[", StringComparison.Ordinal)).ToList())
            {
                _origins.Remove(key);
            }
            _config = _config with { Listeners = _binds.Select(bind => new ListenerConfig { Address = bind.Address }).ToList() };
            for (int i = 0; i < _binds.Count; i++)
            {
                _origins[$"listen[{i}].address"] = _binds[i].Origin;
            }
        }
        if (_listenerSettings.Count > 0 && _config.Listeners.Count == 0)
        {
            _config = _config with { Listeners = [new ListenerConfig()] };
        }
        foreach (var (key, value, origin) in _listenerSettings)
        {
            _config = _config with { Listeners = _config.Listeners.Select((listener, index) => SetListenerKey(listener, index, key, value, origin)).ToList() };
        }
        CheckListeners();
        if (_staticRoutes.Count + _cgiRoutes.Count > 0)
        {
            AddFrontRoutes();
        }
        ApplySiteSettings();
        ApplyRouteSettings();
        return _config with { Provenance = new ConfigProvenance(_origins) };
    }

    /// <summary>
    /// Flags set every listener's keys one by one, so [[listen]]'s own checks across keys (the key and client
    /// certificates go with TLS, client certificates with their CA, ...) run here on each listener they changed, given
    /// the keys the flags set. A problem every listener shares is said once, at the first.
    /// </summary>
    private void CheckListeners()
    {
        if (_listenerSettings.Count == 0)
        {
            return;
        }
        var found = new DiagnosticBag();
        var context = new ReadContext(found, _origins, Context.BaseDirectory, lenient: true);
        for (int i = 0; i < _config.Listeners.Count; i++)
        {
            string path = $"listen[{i}]";
            SettingOrigin addressOrigin = _origins.GetValueOrDefault($"{path}.address") ?? DefaultOrigin.Instance;
            var given = new TomlTable(addressOrigin);
            given.Set("address", TomlValues.Text(_config.Listeners[i].Address.Text, addressOrigin), addressOrigin);
            foreach (var (key, value, origin) in _listenerSettings)
            {
                given.Set(key.Split('.')[0], value, origin);
            }
            ListenerConfig.Table.Check(_config.Listeners[i], given, context, path);
        }
        foreach (ConfigDiagnostic problem in found.Items.DistinctBy(problem => (problem.Origin, problem.Message)))
        {
            Diagnostics.Add(problem);
        }
    }

    private ListenerConfig SetListenerKey(ListenerConfig listener, int index, string key, TomlNode value, SettingOrigin origin)
    {
        string path = $"listen[{index}].{key}";
        _origins[path] = origin;
        ReadContext context = ContextFor(index);
        if (key.StartsWith("limits.", StringComparison.Ordinal))
        {
            string limit = key["limits.".Length..];
            return listener with { Limits = LimitsConfig.Table.Find(limit)!.Read(listener.Limits, value, context, path) };
        }
        return ListenerConfig.Table.Find(key)!.Read(listener, value, context, path);
    }

    /// <summary>
    /// The context to read one value into the listener, site or route at <paramref name="index"/>: a setting of every
    /// listener reports a bad value once, at the first, not once per listener.
    /// </summary>
    private ReadContext ContextFor(int index) => index == 0 ? Context : _quietContext;

    /// <summary>The index of the one app a flat setting applies to, made if there is none; -1 after an error.</summary>
    private int SingleApp(SettingOrigin origin, string key)
    {
        switch (_config.Apps.Count)
        {
            case 0:
                _config = _config with { Apps = [new AppConfig()] };
                return 0;
            case 1:
                return 0;
            default:
                Diagnostics.Error(origin, key, $"this sets one app's '{key}', but the config file defines {_config.Apps.Count} apps ({string.Join(", ", _config.Apps.Select(app => app.Name))})",
                    $"set {key} in the [app.NAME] table it belongs to");
                return -1;
        }
    }

    private static IEnumerable<TomlNode> Items(TomlNode value) => value is TomlArray array ? array.Items : [value];
}
