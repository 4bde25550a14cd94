extension Scenario {
    /// The Conditional Access sign-in frequency that applies to `user` signing in to `app`: the shortest of
    /// the scenario-wide `lifetimes.refresh_token_max_age`, the user's and the app's `sign_in_frequency`
    /// (when several policies apply, Entra enforces the most restrictive). nil: none applies.
    public func signInFrequency(user: User?, app: App?) -> Double? {
        [lifetimes.refreshTokenMaxAge, user?.signInFrequency, app?.signInFrequency].compactMap { $0 }
            .min()
    }
}
