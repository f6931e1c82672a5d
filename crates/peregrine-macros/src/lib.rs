//! `#[peregrine::resource]`: reads a resource's responders from its `impl` block and writes its
//! `peregrine::Resource` impl. Use it through the `peregrine` crate, which re-exports it.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::spanned::Spanned;
use syn::{parse_macro_input, Attribute, Error, Expr, ImplItem, ItemImpl};

/// Turns an inherent `impl` block into a Peregrine resource (Falcon finds responders by reflection; this
/// reads them at compile time).
///
/// **Responders.** Every method whose name starts with `on_` is a responder and must have exactly this
/// signature:
///
/// ```text
/// async fn on_<method>(&self, req: &mut Request, resp: &mut Response) -> peregrine::Result
/// ```
///
/// `<method>` is one of `get`, `head`, `post`, `put`, `delete`, `connect`, `options`, `trace`, `patch`
/// (RFC 9110's methods and PATCH, in lower case). Methods that do not start with `on_` are left alone. The
/// future must be `Send` (do not hold an `Rc` or a `std::sync::MutexGuard` across `.await`), and the
/// resource `Send + Sync + 'static`: it is shared by every request at once.
///
/// **Suffixes.** `on_<method>_<suffix>` (`on_get_item`) serves the routes added with that suffix,
/// `app.add_route_with_suffix("/users/{id}", users, "item")`, so one resource can serve a collection and its
/// items, as Falcon's `suffix=` does. The suffix is everything after the method's `_`.
///
/// **What the resource answers.** HEAD is served by `on_get` unless `on_head` exists; OPTIONS gets
/// `200` with `Allow` unless `on_options` exists; any other method it has no responder for gets `405` with
/// `Allow`.
///
/// **Hooks.** `#[before(hook)]` and `#[after(hook)]` on the block apply to every responder; on a responder,
/// to that one. A hook named by a path is `async fn hook(req: &mut Request, resp: &mut Response) ->
/// peregrine::Result`; a hook written as a call (`#[before(max_body(64 * 1024))]`) is a *hook factory*,
/// evaluated once when the resource is routed, whose value implements `peregrine::Hook`. Several may be
/// listed, `#[before(a, b)]`, and run in the order written: the block's before hooks first, then the
/// responder's; the responder's after hooks before the block's. A before hook that fails, or calls
/// `resp.complete()`, skips the responder and the hooks after it; after hooks run only when the responder
/// succeeded.
///
/// **Mistakes** get one error, at the line to fix: a responder with another signature (the message shows the
/// one to write), an `on_` name that is not a method, a block with no responder.
#[proc_macro_attribute]
pub fn resource(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return Error::new(Span::call_site(), "#[resource] takes no arguments")
            .to_compile_error()
            .into();
    }
    let block = parse_macro_input!(item as ItemImpl);
    match expand(block.clone()) {
        Ok(tokens) => tokens.into(),
        Err(e) => {
            // Keep the block (minus hook attributes) and a placeholder impl, so the only error shown is the
            // one that matters, not a second "is not a Peregrine resource" where the type is routed.
            let mut block = block;
            let _ = take_hooks(&mut block.attrs);
            for item in &mut block.items {
                if let ImplItem::Fn(f) = item {
                    let _ = take_hooks(&mut f.attrs);
                }
            }
            let error = e.to_compile_error();
            let placeholder = (block.trait_.is_none()).then(|| resource_impl(&block, &[], &[], &[]));
            quote! { #block #error #placeholder }.into()
        }
    }
}

/// A hook that runs before a responder: `#[before(check_token)]` on a `#[peregrine::resource]` block (every
/// responder) or on one responder inside it. A hook is a free function
/// `async fn check_token(req: &mut Request, resp: &mut Response) -> peregrine::Result`, or a call to a hook
/// factory, `#[before(max_body(64 * 1024))]`, evaluated once when the resource is routed and returning a
/// `peregrine::Hook`. An error, or `resp.complete()`, skips the responder; an error becomes the response.
/// Several may be listed, `#[before(a, b)]`, and run in that order.
#[proc_macro_attribute]
pub fn before(_args: TokenStream, item: TokenStream) -> TokenStream {
    misplaced("before", item)
}

/// A hook that runs after a responder succeeds: `#[after(add_headers)]` on a `#[peregrine::resource]` block or
/// on one responder inside it, with the same signature as a [`before`](macro@before) hook. A responder's own
/// after hooks run before the block's.
#[proc_macro_attribute]
pub fn after(_args: TokenStream, item: TokenStream) -> TokenStream {
    misplaced("after", item)
}

fn misplaced(name: &str, item: TokenStream) -> TokenStream {
    let mut out = TokenStream2::from(item);
    let message = format!(
        "#[{name}(..)] works only on a responder or below #[peregrine::resource] on its impl block; put #[peregrine::resource] first"
    );
    out.extend(Error::new(Span::call_site(), message).to_compile_error());
    out.into()
}

struct Hooks {
    before: Vec<Expr>,
    after: Vec<Expr>,
}

/// Removes `#[before(..)]`/`#[after(..)]` attributes (any path ending in those names) and returns their hooks.
fn take_hooks(attrs: &mut Vec<Attribute>) -> syn::Result<Hooks> {
    let mut hooks = Hooks {
        before: Vec::new(),
        after: Vec::new(),
    };
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        let last = attr.path().segments.last().map(|s| s.ident.to_string());
        let list = match last.as_deref() {
            Some("before") => &mut hooks.before,
            Some("after") => &mut hooks.after,
            _ => {
                kept.push(attr);
                continue;
            }
        };
        let hooks = attr.parse_args_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)?;
        if hooks.is_empty() {
            return Err(Error::new(
                attr.span(),
                "name the hook function, as #[before(check_token)], or call a hook factory, as #[before(max_body(1024))]",
            ));
        }
        list.extend(hooks);
    }
    *attrs = kept;
    Ok(hooks)
}

fn expand(mut block: ItemImpl) -> syn::Result<TokenStream2> {
    if let Some((_, path, _)) = &block.trait_ {
        return Err(Error::new(
            path.span(),
            "#[peregrine::resource] goes on the inherent `impl Type { .. }` block that holds the responders",
        ));
    }
    let block_hooks = take_hooks(&mut block.attrs)?;
    let mut factories = Factories::new(&block.self_ty);
    let block_before = factories.compile_all(&block_hooks.before);
    let block_after = factories.compile_all(&block_hooks.after);
    let mut specs = Vec::new();
    let mut arms = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(f) = item else { continue };
        let name = f.sig.ident.to_string();
        let fn_hooks = take_hooks(&mut f.attrs)?;
        let Some(rest) = name.strip_prefix("on_") else {
            if !fn_hooks.before.is_empty() || !fn_hooks.after.is_empty() {
                return Err(Error::new(
                    f.sig.ident.span(),
                    "hooks go on responders (methods named on_<method>)",
                ));
            }
            continue;
        };
        let (method, suffix) = rest.split_once('_').unwrap_or((rest, ""));
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(Error::new(
                f.sig.ident.span(),
                format!(
                    "`{name}` looks like a responder, but `{method}` is not an HTTP method; responders are on_get, on_post, on_put, on_delete, ... (lower case), optionally followed by _<suffix>"
                ),
            ));
        }
        check_responder_signature(&f.sig, &name)?;
        let index = specs.len();
        let ident = &f.sig.ident;
        // The method is looked up in peregrine's own table, in a constant: an unknown one is a compile error
        // at the responder's name.
        let method_of =
            quote::quote_spanned! { ident.span() => ::peregrine::__macro_support::responder_method(#method) };
        let fn_before = factories.compile_all(&fn_hooks.before);
        let fn_after = factories.compile_all(&fn_hooks.after);
        let befores: Vec<&CompiledHook> = block_before.iter().chain(&fn_before).collect();
        let afters: Vec<&CompiledHook> = fn_after.iter().chain(&block_after).collect();
        let before_names = befores.iter().map(|h| &h.name);
        let after_names = afters.iter().map(|h| &h.name);
        specs.push(quote! {
            ::peregrine::ResponderSpec::new(#method_of, #suffix).with_hooks(&[#(#before_names),*], &[#(#after_names),*])
        });
        let call = quote_spanned_call(ident);
        let before_calls = befores.iter().map(|h| &h.call);
        let after_calls = afters.iter().map(|h| &h.call);
        // What the pipeline calls (`respond_unboxed`): a small future is kept in place, a larger one boxed.
        arms.push(if befores.is_empty() && afters.is_empty() {
            quote! { #index => ::peregrine::__macro_support::responder(#call, self, req, resp), }
        } else {
            quote! {
                #index => ::peregrine::__macro_support::unboxed(async move {
                    #(
                        #before_calls.await?;
                        if resp.is_complete() {
                            return ::std::result::Result::Ok(());
                        }
                    )*
                    ::peregrine::__macro_support::responder(#call, self, &mut *req, &mut *resp).await?;
                    #( #after_calls.await?; )*
                    ::std::result::Result::Ok(())
                }),
            }
        });
    }
    if specs.is_empty() {
        return Err(Error::new(
            block.self_ty.span(),
            "this resource has no responders: add `async fn on_get(&self, req: &mut Request, resp: &mut Response) -> peregrine::Result` (or on_post, on_put, ...)",
        ));
    }
    let resource = resource_impl(&block, &specs, &arms, &factories.getters);
    let items = &factories.items;
    Ok(quote! {
        #block
        #(#items)*
        #resource
    })
}

/// The `Resource` impl for `block`'s type, with these responder specs and `match` arms.
fn resource_impl(
    block: &ItemImpl,
    specs: &[TokenStream2],
    arms: &[TokenStream2],
    factory_getters: &[syn::Ident],
) -> TokenStream2 {
    let self_ty = &block.self_ty;
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    let prepare = (!factory_getters.is_empty()).then(|| {
        quote! {
            fn prepare_hooks(&self) {
                #( let _ = #factory_getters(); )*
            }
        }
    });
    quote! {
        impl #impl_generics ::peregrine::Resource for #self_ty #where_clause {
            #prepare

            fn responders(&self) -> &'static [::peregrine::ResponderSpec] {
                const RESPONDERS: &[::peregrine::ResponderSpec] = &[#(#specs),*];
                RESPONDERS
            }

            fn respond<'a>(
                &'a self,
                index: usize,
                req: &'a mut ::peregrine::Request,
                resp: &'a mut ::peregrine::Response,
            ) -> ::peregrine::BoxFuture<'a, ::peregrine::Result> {
                ::std::boxed::Box::pin(self.__peregrine_respond(index, req, resp))
            }

            fn respond_unboxed<'a>(
                &'a self,
                index: usize,
                req: &'a mut ::peregrine::Request,
                resp: &'a mut ::peregrine::Response,
            ) -> ::peregrine::__macro_support::ResponderFuture<'a> {
                self.__peregrine_respond(index, req, resp)
            }
        }

        // An inherent method rather than a call from one trait method to the other, so that a type that cannot
        // be a resource (not `Sync`, say) gets each error once.
        impl #impl_generics #self_ty #where_clause {
            #[doc(hidden)]
            #[inline]
            fn __peregrine_respond<'a>(
                &'a self,
                index: usize,
                req: &'a mut ::peregrine::Request,
                resp: &'a mut ::peregrine::Response,
            ) -> ::peregrine::__macro_support::ResponderFuture<'a> {
                let _ = (&req, &resp);
                match index {
                    #(#arms)*
                    _ => ::std::unreachable!("peregrine asked for a responder this resource does not list"),
                }
            }
        }
    }
}

/// Checks the shape of a responder's signature, so a mistake reads as what to write instead.
fn check_responder_signature(sig: &syn::Signature, name: &str) -> syn::Result<()> {
    let expected = format!("async fn {name}(&self, req: &mut Request, resp: &mut Response) -> peregrine::Result");
    if sig.asyncness.is_none() {
        return Err(Error::new(
            sig.fn_token.span(),
            format!("responder `{name}` must be async: `{expected}`"),
        ));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(syn::FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        Some(other) => {
            return Err(Error::new(
                other.span(),
                format!(
                    "responder `{name}` must take `&self` (a resource is shared by all requests at once): `{expected}`"
                ),
            ))
        }
        None => {
            return Err(Error::new(
                sig.ident.span(),
                format!("responder `{name}` must be `{expected}`"),
            ))
        }
    }
    let mut typed = inputs.filter_map(|i| match i {
        syn::FnArg::Typed(t) => Some(t),
        syn::FnArg::Receiver(_) => None,
    });
    for (what, type_name) in [("first", "Request"), ("second", "Response")] {
        let Some(arg) = typed.next() else {
            return Err(Error::new(
                sig.paren_token.span.join(),
                format!("responder `{name}` is missing its {what} argument `&mut {type_name}`: `{expected}`"),
            ));
        };
        if !is_mut_ref_to(&arg.ty, type_name) {
            return Err(Error::new(
                arg.ty.span(),
                format!(
                    "the {what} argument of responder `{name}` must be `&mut {type_name}` (borrowed, not taken): `{expected}`"
                ),
            ));
        }
    }
    if let Some(extra) = typed.next() {
        return Err(Error::new(
            extra.span(),
            format!("responder `{name}` takes exactly a request and a response; read URI fields with `req.field(..)`: `{expected}`"),
        ));
    }
    if let syn::ReturnType::Default = sig.output {
        return Err(Error::new(
            sig.paren_token.span.join(),
            format!("responder `{name}` must return `peregrine::Result` (end it with `Ok(())`): `{expected}`"),
        ));
    }
    Ok(())
}

fn is_mut_ref_to(ty: &syn::Type, name: &str) -> bool {
    match ty {
        syn::Type::Reference(r) if r.mutability.is_some() => match &*r.elem {
            syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
            _ => false,
        },
        _ => false,
    }
}

/// A hook as written, for route tables (`check_token`, `auth::check`, `max_body(64*1024)`).
fn hook_text(hook: &Expr) -> String {
    quote!(#hook).to_string().replace(' ', "")
}

/// A hook ready to splice into a responder's arm: its name for route tables and the expression that calls
/// it (a future of `peregrine::Result`).
struct CompiledHook {
    name: String,
    call: TokenStream2,
}

/// The hook factories of one resource: each gets a function holding its value in a `static`, evaluated the
/// first time the function is called (by `Resource::prepare_hooks`, when the resource is routed).
struct Factories {
    prefix: String,
    items: Vec<TokenStream2>,
    getters: Vec<syn::Ident>,
}

impl Factories {
    fn new(self_ty: &syn::Type) -> Self {
        let type_name = match self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        Factories {
            prefix: format!(
                "__peregrine_hook_{}",
                type_name.unwrap_or_else(|| "resource".to_owned())
            ),
            items: Vec::new(),
            getters: Vec::new(),
        }
    }

    fn compile_all(&mut self, hooks: &[Expr]) -> Vec<CompiledHook> {
        hooks.iter().map(|h| self.compile(h)).collect()
    }

    fn compile(&mut self, hook: &Expr) -> CompiledHook {
        let name = hook_text(hook);
        if let Expr::Path(path) = hook {
            return CompiledHook {
                name,
                call: quote! { ::peregrine::__macro_support::hook(#path, &mut *req, &mut *resp) },
            };
        }
        let getter = syn::Ident::new(&format!("{}_{}", self.prefix, self.getters.len()), hook.span());
        self.items.push(quote::quote_spanned! { hook.span() =>
            #[doc(hidden)]
            #[allow(non_snake_case)]
            fn #getter() -> &'static dyn ::peregrine::__macro_support::DynHook {
                static HOOK: ::std::sync::LazyLock<::std::boxed::Box<dyn ::peregrine::__macro_support::DynHook>> =
                    ::std::sync::LazyLock::new(|| ::peregrine::__macro_support::factory_hook(#hook));
                &**HOOK
            }
        });
        self.getters.push(getter.clone());
        CompiledHook {
            name,
            call: quote! { ::peregrine::__macro_support::DynHook::call_boxed(#getter(), &mut *req, &mut *resp) },
        }
    }
}

/// `Self::on_get`, spanned at the responder's name so a signature error points at it.
fn quote_spanned_call(ident: &syn::Ident) -> TokenStream2 {
    quote::quote_spanned! { ident.span() => Self::#ident }
}
