/// JobForge's version: the one place it is written (`jobforge --version`, store messages).
public enum JobForgeVersion {
    public static let current = "0.1.0"
}
