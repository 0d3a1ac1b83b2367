namespace PyHost.Hosting.Apps.Detection;

/// <summary>
/// A project made by <c>django-admin startproject</c>: manage.py names the settings module
/// (<c>os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")</c>), and the settings name the WSGI
/// application (<c>WSGI_APPLICATION = "mysite.wsgi.application"</c>), which is what runserver and every deployment
/// guide serve.
/// </summary>
internal static class DjangoProject
{
    public const string SettingsVariable = "DJANGO_SETTINGS_MODULE";

    public static AppCandidate? Find(string directory)
    {
        string manage = Path.Combine(directory, "manage.py");
        if (!File.Exists(manage))
        {
            return null;
        }
        var settingsName = AppDetector.QuotedName($@"['""]{SettingsVariable}['""]\s*,").Match(AppDetector.ReadText(manage));
        if (!settingsName.Success)
        {
            return null;
        }
        string settingsModule = settingsName.Groups[1].Value;
        string settingsPath = Path.Combine(directory, settingsModule.Replace('.', Path.DirectorySeparatorChar));
        string settingsText = AppDetector.ReadText(File.Exists(settingsPath + ".py") ? settingsPath + ".py" : Path.Combine(settingsPath, "__init__.py"));
        var wsgiApplication = AppDetector.QuotedName(@"^WSGI_APPLICATION\s*=").Match(settingsText);
        // Without WSGI_APPLICATION: the wsgi.py that startproject puts next to the settings.
        string dotted = wsgiApplication.Success
            ? wsgiApplication.Groups[1].Value
            : $"{settingsModule[..Math.Max(0, settingsModule.LastIndexOf('.'))]}.wsgi.application".TrimStart('.');
        int lastDot = dotted.LastIndexOf('.');
        if (lastDot <= 0)
        {
            return null;
        }
        string spec = $"{dotted[..lastDot]}:{dotted[(lastDot + 1)..]}";
        return new AppCandidate(
            spec,
            $"a Django project (manage.py, {SettingsVariable}={settingsModule})",
            new Dictionary<string, string> { [SettingsVariable] = settingsModule });
    }
}
