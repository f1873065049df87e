fn main() {
    let mut config = ory_kratos_client::apis::configuration::Configuration::new();
    config.base_path = "https://auth.example.com".to_string();
    println!("hello, {}", config.base_path);
}
