fn main() {
    let api = kratos_client::FrontendApi::new("https://auth.example.com").expect("a valid URL");
    let request = api.create_native_registration_flow().return_to("myapp://done");
    println!("hello, {request:?}");
}
