//! `#[peregrine::resource]`: reads a resource's responders from its `impl` block and writes its
//! `peregrine::Resource` impl. Use it through the `peregrine` crate, which re-exports it.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::spanned::Spanned;
use syn::{parse_macro_input, Attribute, Error, ImplItem, ItemImpl, Path};

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
/// to that one. A hook is `async fn hook(req: &mut Request, resp: &mut Response) -> peregrine::Result`;
/// several may be listed, `#[before(a, b)]`. Block-level before hooks run first, then the responder's; the
/// responder's after hooks run before the block's. A before hook that fails skips the responder; after hooks
/// run only when the responder succeeded.
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
            let placeholder = (block.trait_.is_none()).then(|| resource_impl(&block, &[], &[]));
            quote! { #block #error #placeholder }.into()
        }
    }
}

/// A hook that runs before a responder: `#[before(check_token)]` on a `#[peregrine::resource]` block (every
/// responder) or on one responder inside it. A hook is a free function
/// `async fn check_token(req: &mut Request, resp: &mut Response) -> peregrine::Result`; an error skips the
/// responder and becomes the response. Several may be listed, `#[before(a, b)]`, and run in that order. Hooks
/// take no arguments of their own: read settings from the request or from a `static`.
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
    before: Vec<Path>,
    after: Vec<Path>,
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
        let paths = attr.parse_args_with(syn::punctuated::Punctuated::<Path, syn::Token![,]>::parse_terminated)?;
        if paths.is_empty() {
            return Err(Error::new(
                attr.span(),
                "name the hook function, as #[before(check_token)]",
            ));
        }
        list.extend(paths);
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
        let before_names: Vec<String> = block_hooks
            .before
            .iter()
            .chain(&fn_hooks.before)
            .map(path_text)
            .collect();
        let after_names: Vec<String> = fn_hooks.after.iter().chain(&block_hooks.after).map(path_text).collect();
        specs.push(quote! {
            ::peregrine::ResponderSpec::new(#method_of, #suffix).with_hooks(&[#(#before_names),*], &[#(#after_names),*])
        });
        let call = quote_spanned_call(ident);
        let befores = block_hooks.before.iter().chain(&fn_hooks.before);
        let afters = fn_hooks.after.iter().chain(&block_hooks.after);
        let has_hooks = !(block_hooks.before.is_empty()
            && block_hooks.after.is_empty()
            && fn_hooks.before.is_empty()
            && fn_hooks.after.is_empty());
        arms.push(if has_hooks {
            quote! {
                #index => ::std::boxed::Box::pin(async move {
                    #( ::peregrine::__macro_support::hook(#befores, &mut *req, &mut *resp).await?; )*
                    ::peregrine::__macro_support::responder(#call, self, &mut *req, &mut *resp).await?;
                    #( ::peregrine::__macro_support::hook(#afters, &mut *req, &mut *resp).await?; )*
                    ::std::result::Result::Ok(())
                }),
            }
        } else {
            quote! { #index => ::peregrine::__macro_support::responder(#call, self, req, resp), }
        });
    }
    if specs.is_empty() {
        return Err(Error::new(
            block.self_ty.span(),
            "this resource has no responders: add `async fn on_get(&self, req: &mut Request, resp: &mut Response) -> peregrine::Result` (or on_post, on_put, ...)",
        ));
    }
    let resource = resource_impl(&block, &specs, &arms);
    Ok(quote! {
        #block
        #resource
    })
}

/// The `Resource` impl for `block`'s type, with these responder specs and `match` arms.
fn resource_impl(block: &ItemImpl, specs: &[TokenStream2], arms: &[TokenStream2]) -> TokenStream2 {
    let self_ty = &block.self_ty;
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    quote! {
        impl #impl_generics ::peregrine::Resource for #self_ty #where_clause {
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

/// A hook's path as written, for route tables (`check_token`, `auth::check`).
fn path_text(path: &Path) -> String {
    quote!(#path).to_string().replace(' ', "")
}

/// `Self::on_get`, spanned at the responder's name so a signature error points at it.
fn quote_spanned_call(ident: &syn::Ident) -> TokenStream2 {
    quote::quote_spanned! { ident.span() => Self::#ident }
}
